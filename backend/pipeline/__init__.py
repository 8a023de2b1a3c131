"""The main job: the project's stages run in order on embedded defaults, cached and resumable; each stage is a list
of library calls (never the command lines), see :func:`backend.pipeline.main_stages.build_stages`."""
