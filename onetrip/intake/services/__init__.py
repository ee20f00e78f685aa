"""Intake services: applying (application.py), files (files.py), case numbers (numbers.py), prefill
(prefill.py); acceptance and the queue live beside them (acceptance.py, queue.py)."""
