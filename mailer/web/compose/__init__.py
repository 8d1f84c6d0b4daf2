"""The compose blueprint: the page and its fields (views.py), attachments and autosave (files.py),
rendering a draft (page.py), the send's progress (status.py), and the services they share
(services.py: drafts, send jobs, Graph clients built from the app's settings)."""
