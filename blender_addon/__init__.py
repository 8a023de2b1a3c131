"""SynthHeads for Blender: synthetic heads, dataset rendering, backend jobs and GEM avatars.

This module only registers. Numpy-only logic: ``head_data``, ``gem_eval``, ``jobs``,
``job_commands``; bpy glue: ``scene_head``, ``scene_gem``, ``props``, ``ops_*``, ``ui``, ``prefs``.
"""

import bpy

from . import ops_gem, ops_head, ops_jobs, prefs, props, ui

classes = (*prefs.classes, *props.classes, *ops_head.classes, *ops_gem.classes, *ops_jobs.classes, *ui.classes)


def register():
    from .core_import import import_core

    try:
        cache = bpy.utils.extension_path_user(__package__, path="cache", create=True)
    except ValueError:  # installed as a legacy add-on
        cache = None
    import_core(cache)
    for cls in classes:
        bpy.utils.register_class(cls)
    props.register_pointers()


def unregister():
    from .jobs import REGISTRY

    REGISTRY.cancel_all()
    props.unregister_pointers()
    for cls in reversed(classes):
        bpy.utils.unregister_class(cls)
