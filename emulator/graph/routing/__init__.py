"""How a ``/v1.0/...`` path finds its view.

  grammar.py       Graph's URL grammar: case-insensitive segments, OData keys, ``Router``
  table.py         the route table ``ROUTER``; views register with ``@route``/``@mailbox_route``
  unserved.py      paths Graph serves and no view does: 501 in the emulator's words
  csdl_surface.py  Graph's URL surface from Microsoft's CSDL (``csdl_surface.json``, committed;
                   ``python -m emulator.graph.routing.csdl_surface`` rebuilds it)
"""
