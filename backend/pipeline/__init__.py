"""The main job: the project's stages run in order on embedded defaults, cached and resumable."""
