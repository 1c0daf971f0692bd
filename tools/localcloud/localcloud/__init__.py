"""The local cloud: moto's server app on loopback, wrapped in our own WSGI middleware.

Layout (one obvious place for each behaviour):

* ``envelope``   - parses each request into service / action / parameters.
* ``middleware`` - the WSGI app: HTTP layers before moto, after-action hooks after it.
* ``layers``     - HTTP-level layers (request recorder, fault injection, latency).
* ``hooks/``     - after-action hooks on moto's in-process backend objects, one module per concern.
* ``patches``    - the few moto monkey-patches, each naming the gap it closes.
* ``server`` / ``cli`` - process management (``localcloud up|down|status|env``).
"""

DEFAULT_PORT = 4566
DEFAULT_REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
