"""The trainers' app: a live browser demonstration that collective models are not speed.

``collabsim app`` serves :mod:`collabsim.app.app` (the Solara page) on localhost, offline.
:mod:`~collabsim.app.runs` builds what the page steps (one run, or two side by side) from a
scenario and the levers; :mod:`~collabsim.app.components` holds the controls and views;
:mod:`~collabsim.app.cli` the ``app`` and ``animate`` commands; :mod:`~collabsim.app.browser`
drives the page in headless chromium for tests and screenshots. Importing this package imports
no web framework.
"""
