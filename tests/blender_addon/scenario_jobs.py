"""Inside Blender: run the background-job operators for real (their blocking ``execute`` path): a tiny
Render Dataset that succeeds, one with bad input, backend jobs that fail; check reports and logs.
Writes a JSON report for ``test_addon_jobs.py``."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _addon_in_blender as B  # noqa: E402
import bpy  # noqa: E402

A = B.args()
T = B.Timer()
environ_before = dict(os.environ)  # after `import bpy`, before the add-on imports its bundled core
B.install(A["zip"])
from bl_ext.user_default.synthheads import jobs  # noqa: E402

report = {}
prefs = bpy.context.preferences.addons[B.ADDON].preferences
report["default_python"] = prefs.backend_python
prefs.backend_python, prefs.project_dir = A["python"], A["project"]
scene = bpy.context.scene
r = scene.synthheads.render
r.output_dir, r.identities, r.frames = A["dataset"], 1, 1
r.resolution_x, r.resolution_y, r.samples = 32, 32, 1
r.rig, r.cameras, r.hair_quality, r.texture_size, r.device = "custom", "cam_00", "preview", "256", "cpu"

with T("render_ok"):
    report["render_ok_error"] = B.operator_error(lambda: bpy.ops.scene.synthheads_render_dataset())
job = jobs.REGISTRY.get("render")
report["render_ok"] = {"state": job.status.state, "done": job.status.done, "total": job.status.total,
                       "stage": job.status.stage, "result": job.status.result, "log": job.spec.log_path,
                       "argv": job.spec.argv, "cwd": job.spec.cwd}  # fmt: skip
bpy.ops.scene.synthheads_job_log(kind="render")
report["log_text"] = next(t.as_string() for t in bpy.data.texts)

r.cameras = "cam_99"
with T("render_bad"):
    report["render_bad_error"] = B.operator_error(lambda: bpy.ops.scene.synthheads_render_dataset())
report["render_bad_state"] = jobs.REGISTRY.get("render").status.state

b = scene.synthheads.backend
b.data_dir, b.prior_dir = os.path.join(A["out"], "no_dataset"), os.path.join(A["out"], "prior")
b.avatar_path, b.gem_path = os.path.join(A["out"], "no_avatar.pt"), os.path.join(A["out"], "avatar.gem")
with T("train_bad"):
    report["train_error"] = B.operator_error(lambda: bpy.ops.scene.synthheads_train_prior())
bpy.ops.scene.synthheads_choose_photos(directory=A["photos_dir"], files=[{"name": n} for n in A["photos"]])
report["photos"] = [p.path for p in b.photos]
with T("invert_bad"):
    report["invert_error"] = B.operator_error(lambda: bpy.ops.scene.synthheads_invert())
with T("distill_bad"):
    report["distill_error"] = B.operator_error(lambda: bpy.ops.scene.synthheads_distill_gem())

# Cancel from the UI's operator: a long job started the way the modal path starts it
report["cancel_idle"] = sorted(bpy.ops.scene.synthheads_job_cancel(kind="render"))
sleeper = jobs.JobSpec(kind="sleep", argv=[A["python"], "-c", "import time; time.sleep(120)"], cwd=A["out"],
                       log_path=os.path.join(A["out"], "sleep.log"), title="Sleep")  # fmt: skip
job = jobs.REGISTRY.add(jobs.Job(sleeper).start())
report["cancel_running"] = sorted(bpy.ops.scene.synthheads_job_cancel(kind="sleep"))
report["cancelled_state"] = job.wait(timeout=30).state

prefs.backend_python = os.path.join(A["out"], "no_such_python")
report["no_python_error"] = B.operator_error(lambda: bpy.ops.scene.synthheads_render_dataset())
report["logs"] = sorted(os.listdir(os.path.dirname(jobs.REGISTRY.get("render").spec.log_path)))
report["environ_changed"] = sorted(k for k in set(os.environ) | set(environ_before)
                                   if os.environ.get(k) != environ_before.get(k))  # fmt: skip
report["blender_user_resources"] = os.environ.get("BLENDER_USER_RESOURCES")
report["times"] = T.times
B.write_report(os.path.join(A["out"], "report.json"), report)
