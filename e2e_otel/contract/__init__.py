"""The frontend-to-Django contract map (``e2e-otel map``): each Next.js API call matched to the
Django endpoint that serves it (:mod:`.match`, :mod:`.credentials`), joined with traffic
(:mod:`.traffic`) and reported (:mod:`.report`). Entry point: :func:`.build.build_map`.

Nothing is imported here, so reading the models does not load the scanners.
"""
