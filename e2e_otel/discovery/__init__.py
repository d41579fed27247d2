"""Static discovery of an app's routes and API calls: the Next.js scanner
(``e2e_otel.discovery.nextjs``) and the Django scanner (``e2e_otel.discovery.django*``).

Nothing is imported here, so each scanner's optional dependencies (tree-sitter for Next.js)
load only when that scanner is used.
"""
