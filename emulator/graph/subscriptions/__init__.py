"""Change notifications for mail: ``/subscriptions`` and the webhooks they call.

  model.py       a subscription, the checks on a request (resource, change types, expiry,
                 URLs) and its JSON
  views.py       POST/GET/PATCH/DELETE ``/subscriptions``, ``…/reauthorize``
  webhook.py     the validation handshake and notification POSTs
  registry.py    the live subscriptions: mail changes to notifications, lifecycle events
  dispatcher.py  the background thread and workers that deliver, retry and give up
  admin.py       ``/_emulator/notifications``: counters and fault rules (drop, duplicate, delay)
"""
