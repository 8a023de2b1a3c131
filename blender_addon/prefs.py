"""Add-on preferences: where the backend's Python interpreter and the project folder are."""

from __future__ import annotations

import bpy
from bpy.props import StringProperty

from .jobs import interpreter_default, project_dir_for, python_executable_ok


class SynthHeadsPreferences(bpy.types.AddonPreferences):
    bl_idname = __package__

    backend_python: StringProperty(
        name="Backend Python",
        description="Interpreter of the SynthHeads project (its .venv/bin/python) that runs the background jobs",
        subtype="FILE_PATH",
        default=interpreter_default(),
    )
    project_dir: StringProperty(
        name="Project Folder",
        description="Folder holding synthetic/ and backend/ (empty: found from the interpreter's path)",
        subtype="DIR_PATH",
        default="",
    )

    def draw(self, context):
        layout = self.layout
        layout.prop(self, "backend_python")
        layout.prop(self, "project_dir")
        root = project_dir_for(bpy.path.abspath(self.backend_python), bpy.path.abspath(self.project_dir))
        if not python_executable_ok(bpy.path.abspath(self.backend_python)):
            layout.label(text="Set the interpreter to run Render Dataset and the backend jobs", icon="ERROR")
        elif not root:
            layout.label(text="No project folder found next to the interpreter; set it above", icon="ERROR")
        else:
            layout.label(text=f"Jobs run in {root}", icon="CHECKMARK")


def get(context) -> SynthHeadsPreferences:
    return context.preferences.addons[__package__].preferences


classes = (SynthHeadsPreferences,)
