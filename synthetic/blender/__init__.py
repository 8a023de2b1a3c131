"""Everything of the renderer that imports bpy (Blender 5.0 as the ``bpy`` module).

Importing this package outside an environment with ``bpy`` fails with a message that says how to
run the renderer instead (``python -m synthetic render``, which starts its own worker process).
"""

try:
    import bpy  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "synthetic.blender needs Blender's Python module (pip install bpy==5.0.1, Python 3.11); "
        "run the renderer with `python -m synthetic render ...` from the project's venv"
    ) from exc
