"""Graph's view of the directory: users, their photos, the people relevant to them.

  users.py         ``GET /me``, ``/users/{id | upn}``, ``GET /users``
  user_query.py    ``$filter``/``$orderby``/``$search``/``$count`` on ``/users`` (Entra's rules)
  people.py        ``GET /me/people``: relevance from the mailbox over the directory
  photos.py        profile photos: metadata, ``$value``, sizes
  photo_images.py  the demo photos, drawn in pure Python (JPEG and PNG)

The directory's data (tenants, users, mailbox rights) is ``emulator/directory.py``.
"""
