"""The parent side of ``python -m synthetic render``: plans the work, starts the Blender worker
process (``python -m synthetic.blender.worker``), relays its progress, survives its crashes, and
cleans up on Ctrl-C / SIGTERM. Imports no bpy.

The worker gets a job file (settings + identity indices) and reports one JSON object per line on
a dedicated pipe (Blender prints its own chatter on stdout, which goes to the log file instead):
``{"event": "image", "identity": i, "done": k, "total": n}``, ``{"event": "identity_done", ...}``,
``{"event": "identity_failed", "identity": i, "message": ...}``. If the worker dies mid-identity,
that identity is reported failed and a fresh worker continues with the rest.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from .errors import UserInputError
from .progress import Progress


@dataclass
class RenderJob:
    """Everything the worker needs; written as JSON into the job file."""

    out: str
    identities: list[int]
    frames: int
    width: int
    height: int
    samples: int
    device: str
    seed_base: int
    passes: list[str] = field(default_factory=list)
    cameras: list[str] | None = None
    """Subset of camera names to render (None = all 28)."""
    texture_size: int = 1024
    quality: str = "render"
    """Strand counts: 'render' (about 60k scalp strands) or 'preview' (5k, for tests and quick looks)."""
    hair_lod: float = 0.0
    """Strand level of detail: thin hair and beard up to this projected strand width in pixels (0 = off)."""
    overwrite: bool = False
    threads: int = 0
    """Cycles render threads (0 = every core); :func:`render_dataset` splits the cores among ``--workers``."""
    dataset: dict = field(default_factory=dict)
    """``DatasetSettings.to_json()`` of the dataset being written (the worker adopts it)."""
    claims: str | None = None
    """With several workers: the folder of their shared queue. Every worker gets all the identities and renders
    those it claims first (:func:`synthetic.dataset.shard.claim_identity`), so none idles while another has
    several left; None: render every identity of ``identities``."""


@dataclass
class DatasetRequest:
    """What ``python -m synthetic render`` asks for (its options, same names and defaults)."""

    identities: int
    """Identities in the whole dataset."""
    out: str | Path
    """Dataset root."""
    frames: int = 4
    """Frames per identity; frame 0 is neutral."""
    shard: str = "0/1"
    """``K/N``: render only shard K (0-based) of N (identities K, K+N, ...)."""
    resume: bool = False
    """Skip complete identities; redo unfinished ones."""
    overwrite: bool = False
    """Re-render identities that are already complete."""
    resolution: str = "768x512"
    """``WIDTHxHEIGHT`` in pixels."""
    samples: int = 64
    """Cycles samples per pixel."""
    device: str = "auto"
    """Cycles device: ``auto``, ``cpu`` or ``gpu``."""
    cameras: str = "all"
    """``all`` or a comma list of camera names (cam_00..cam_27)."""
    seed: int = 0
    """Seed base; identity i gets a seed derived from (seed, i)."""
    texture_size: int = 1024
    """Albedo / back-projection texture edge (texels)."""
    hair_quality: str = "render"
    """Strand counts: ``render`` (~60k scalp strands) or ``preview`` (5k)."""
    hair_lod: float = 0.0
    """Opt-in strand level of detail: fewer, thicker strands up to this width in pixels (0 = every strand;
    0.25 renders 256x256 about 2x faster at 2-3 dB from full detail, see bench/RESULTS.md)."""
    distance: float = 1.0
    """Camera distance to the head centre (m)."""
    focal_mm: float | None = None
    """Focal length in mm (None: frame the head)."""
    passes: str = "none"
    """``none`` or a comma list of linear EXR passes: depth, normal, seg."""
    clothing: bool = False
    """Dress each identity in a collar and a shirt."""
    workers: int = 1
    """Blender worker processes rendering the shard's identities side by side from one shared queue (each takes
    the next identity nobody has claimed), the CPU's cores split among them; one worker's numpy identity build
    then overlaps another's rendering."""
    blender: str | None = None
    """The Blender that renders: a Python with bpy or a Blender executable (see :func:`worker_command`);
    None: ``$SYNTHHEADS_BLENDER``, else the checkout's ``.venv-blender/bin/python``, else this Python's bpy."""


PRIOR_CAMERAS = "cam_00,cam_01,cam_02,cam_03,cam_04,cam_06,cam_11,cam_14,cam_16,cam_17"
"""The prior preset's 10 cameras: the front row at -69, -34, 0, +34, +69 deg (-14 deg up), -17 deg at eye
height, straight on from 26 deg above, and the back and both back three-quarters (-122 / 125 / 179 deg)."""

PRESETS: dict[str, dict] = {
    "prior": {"frames": 6, "resolution": "96x96", "samples": 8, "hair_lod": 0.5, "texture_size": 256,
              "cameras": PRIOR_CAMERAS},
}
"""``--preset NAME``: defaults for the options it names (an option given on the command line wins).

``prior``: the most training signal per CPU-second for the SynShot prior (issue 14): square 96x96 frames the
head fills (the 192x128 landscape frames are two-thirds background), 8 spp with Cycles' denoiser, strands
thickened to >= 0.5 px (fewer of them), a 256-texel back-projection (the prior reads 64-128 texel maps), six
frames and ten cameras. About 25 s per identity on 2 cores (60 images; bench/RESULTS.md); 48 identities fit
in 36 MB."""


def with_preset(options: dict, preset: str | None) -> dict:
    """``options`` (None = not given) with the preset's values, then the :class:`DatasetRequest` defaults, filled in
    for the options that were not given."""
    if preset is not None and preset not in PRESETS:
        raise UserInputError(f"--preset {preset}: unknown (choose from {', '.join(PRESETS)})")
    chosen = PRESETS.get(preset, {}) if preset else {}
    defaults = {f.name: f.default for f in fields(DatasetRequest)}
    return {k: (v if v is not None else chosen.get(k, defaults.get(k))) for k, v in options.items()}


@dataclass
class DatasetRender:
    """What :func:`render_dataset` did."""

    out: Path
    """Dataset root."""
    rendered: int
    """Identities rendered now (complete ones skipped with ``resume`` are not counted)."""
    complete_before: int
    """Identities of the shard that were already complete."""
    failures: dict[int, str] = field(default_factory=dict)
    """``{identity: error}`` of identities that failed (the others went on)."""
    log: Path | None = None
    """The worker's log file (None when there was nothing to render)."""


def render_dataset(req: DatasetRequest, progress: Progress | None = None) -> DatasetRender:
    """Render the identities of ``req.shard`` into the dataset at ``req.out`` with a Blender worker process.

    Raises:
        UserInputError: bad settings, or complete identities in the way without ``resume``/``overwrite``.
    """
    from .dataset.shard import shard_identities
    from .dataset.writer import DatasetSettings, DatasetWriter
    from .head import HeadModel
    from .rig import N_FRONT, N_HEMISPHERE, RigSettings, parse_resolution

    progress = progress or Progress("none")
    if req.identities < 1:
        raise UserInputError(f"--identities must be at least 1, got {req.identities}")
    if req.frames < 1:
        raise UserInputError(f"--frames must be at least 1, got {req.frames}")
    if req.samples < 1:
        raise UserInputError(f"--samples must be at least 1, got {req.samples}")
    if not 0.0 <= req.hair_lod <= 2.0:
        raise UserInputError(f"--hair-lod must be a strand width in pixels between 0 (off) and 2, got {req.hair_lod}")
    if not 1 <= req.workers <= MAX_WORKERS:
        raise UserInputError(f"--workers must be between 1 and {MAX_WORKERS}, got {req.workers}")
    out = Path(req.out)
    width, height = parse_resolution(req.resolution)
    all_names = [f"cam_{i:02d}" for i in range(N_FRONT + N_HEMISPHERE)]
    cameras = None
    if req.cameras != "all":
        cameras = [c.strip() for c in req.cameras.split(",") if c.strip()]
        bad = [c for c in cameras if c not in all_names]
        if bad or not cameras:
            raise UserInputError(f"--cameras: unknown camera name(s) {bad or req.cameras!r}; use cam_00..cam_27")
    passes = parse_passes(req.passes)
    indices = shard_identities(req.identities, req.shard)
    rig = RigSettings(width=width, height=height, distance=req.distance, focal_mm=req.focal_mm)
    model = HeadModel.load()
    settings = DatasetSettings(
        n_identities=req.identities, frames_per_identity=req.frames, seed_base=req.seed,
        head_model_fingerprint=model.fingerprint(), rig=rig,
        generator={"renderer": "blender-cycles", "samples": req.samples, "texture_size": req.texture_size,
                   "cameras": cameras or "all", "quality": req.hair_quality,
                   **({"clothing": True} if req.clothing else {}),
                   **({"hair_lod_px": req.hair_lod} if req.hair_lod else {})},
        passes=passes, landmarks=True, landmark_fingerprint=model.landmark_fingerprint(),
    )  # fmt: skip
    ds = DatasetWriter(out, settings)  # writes or checks dataset.json (refuses other settings)
    complete = [i for i in indices if ds.is_complete(i)]
    if complete and not (req.resume or req.overwrite):
        raise UserInputError(
            f"{out} already holds {len(complete)} complete identities of this shard; pass --resume to continue "
            "or --overwrite to render them again"
        )
    todo = indices if req.overwrite else ds.pending(indices)
    n_cams = len(cameras) if cameras else len(all_names)
    progress.message(f"rendering {len(todo)} of {len(indices)} identities of shard {req.shard} "
                     f"({len(complete)} already complete) at {width}x{height}, {req.samples} samples")  # fmt: skip
    if not todo:
        return DatasetRender(out, 0, len(complete))
    n_workers = min(req.workers, len(todo))
    job = RenderJob(out=str(out), identities=todo, frames=req.frames, width=width, height=height,
                    samples=req.samples, device=req.device, seed_base=req.seed, cameras=cameras,
                    texture_size=req.texture_size, quality=req.hair_quality, hair_lod=req.hair_lod,
                    overwrite=req.overwrite, threads=worker_threads(n_workers),
                    dataset=ds.settings.to_json(), passes=list(passes))  # fmt: skip
    install_sigterm_handler()
    logs = [_log_path(out, req.shard, k, n_workers) for k in range(n_workers)]
    tally = WorkerTally(progress, len(todo) * req.frames * n_cams)
    if n_workers == 1:
        failures = run_worker(job, progress, logs[0], tally.total, blender=req.blender, tally=tally)
    else:
        failures = {}
        logs[0].parent.mkdir(parents=True, exist_ok=True)
        claims = tempfile.mkdtemp(prefix=f"claims_{_log_path(out, req.shard).stem}_", dir=logs[0].parent)
        shared = RenderJob(**{**asdict(job), "claims": claims})
        try:
            with ThreadPoolExecutor(n_workers) as pool:
                futures = [pool.submit(run_worker, shared, progress, lg, tally.total, req.blender, tally)
                           for lg in logs]
                try:
                    for f in futures:
                        failures.update(f.result())
                except BaseException:  # Ctrl-C / SIGTERM arrive in this thread: stop every worker, then go
                    tally.stop_all()
                    raise
        finally:
            shutil.rmtree(claims, ignore_errors=True)
    return DatasetRender(out, len(todo) - len(failures), len(complete), failures, logs[0])


MAX_WORKERS = 16
"""Most ``--workers`` a render may start."""


def worker_threads(n_workers: int) -> int:
    """Cycles threads per worker: 0 (every core) for one worker, else the cores split evenly (at least 1)."""
    if n_workers <= 1:
        return 0
    return max(1, (os.cpu_count() or 1) // n_workers)


class WorkerTally:
    """Images done across the workers of one render, reported to ``progress`` under a lock, and the workers'
    processes, so that an interrupt in the main thread can stop all of them."""

    def __init__(self, progress: Progress, total: int):
        self.progress, self.total, self.done = progress, total, 0
        self._lock = threading.Lock()
        self._procs: set[subprocess.Popen] = set()

    def image(self, identity: int) -> None:
        with self._lock:
            self.done += 1
            self.progress.update("render", self.done, self.total, identity=identity)

    def message(self, text: str) -> None:
        with self._lock:
            self.progress.message(text)

    def started(self, proc: subprocess.Popen) -> None:
        with self._lock:
            self._procs.add(proc)

    def ended(self, proc: subprocess.Popen) -> None:
        with self._lock:
            self._procs.discard(proc)

    def stop_all(self) -> None:
        with self._lock:
            procs = list(self._procs)
        for proc in procs:
            _stop(proc)


def parse_passes(text: str) -> tuple[str, ...]:
    """``--passes``: 'none' or a comma list of :data:`synthetic.dataset.layout.PASSES`, returned in that order."""
    from .dataset.layout import PASSES

    names = [] if text.strip().lower() in ("", "none") else [t.strip() for t in text.split(",") if t.strip()]
    bad = [n for n in names if n not in PASSES]
    if bad:
        raise UserInputError(f"--passes: unknown pass(es) {', '.join(bad)}; choose from {', '.join(PASSES)} or none")
    return tuple(k for k in PASSES if k in names)


def _log_path(out: Path, shard: str, worker: int = 0, n_workers: int = 1) -> Path:
    name = f"render_shard-{shard.replace('/', '-of-')}"
    if n_workers > 1:
        name += f"_worker-{worker}-of-{n_workers}"
    return out / "logs" / f"{name}.log"


BLENDER_ENV = "SYNTHHEADS_BLENDER"
"""Environment variable naming the Blender that renders, when ``--blender`` is not given."""


def default_blender() -> str:
    """Blender 5.3's Python of this checkout (``tools/bootstrap.sh`` makes ``.venv-blender``), else this Python."""
    python = Path(__file__).resolve().parents[1] / ".venv-blender" / "bin" / "python"
    return str(python) if python.is_file() else sys.executable


def worker_command(blender: str | None, job_file: Path, events_fd: int) -> tuple[list[str], dict]:
    """The worker's command line and environment.

    ``blender`` (else ``$SYNTHHEADS_BLENDER``, else the checkout's ``.venv-blender/bin/python`` when the set-up
    made it, else this Python) is either a Python interpreter whose ``bpy``
    module is the Blender to use (``.venv-blender/bin/python``: bpy 5.3 on Python 3.13), run as
    ``PYTHON -m synthetic.blender.worker``, or a Blender executable (its file name starts with
    "blender"), run as ``blender --background --factory-startup --python-expr ... -- ARGS`` as render farms
    and BlenderProc launch Blender. Either way this checkout's ``synthetic`` package goes first on the
    worker's path. The worker needs numpy and Pillow in that Python (Blender bundles numpy, not Pillow).
    """
    root = str(Path(__file__).resolve().parents[1])
    blender = blender or os.environ.get(BLENDER_ENV) or default_blender()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    args = ["--job", str(job_file), "--events-fd", str(events_fd)]
    if Path(blender).name.lower().startswith("blender"):
        expr = (f"import sys; sys.path.insert(0, {root!r}); from synthetic.blender.worker import main; "
                "sys.exit(main(sys.argv[sys.argv.index('--') + 1:]))")  # fmt: skip
        return [blender, "--background", "--factory-startup", "--python-exit-code", "1", "--python-expr", expr,
                "--", *args], env  # fmt: skip
    return [blender, "-m", "synthetic.blender.worker", *args], env


def run_worker(job: RenderJob, progress: Progress, log_path: Path, total_images: int,
               blender: str | None = None, tally: WorkerTally | None = None) -> dict[int, str]:  # fmt: skip
    """Run the worker until every identity of ``job`` is done or failed; returns {identity: error}.

    ``blender``: see :func:`worker_command`. ``tally``: the image count and processes shared with the other
    workers of the same render (default: this worker's own)."""
    remaining = list(job.identities)
    failures: dict[int, str] = {}
    tally = tally or WorkerTally(progress, total_images)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    tally.progress.update("render", tally.done, tally.total)
    while remaining:
        sub = RenderJob(**{**asdict(job), "identities": remaining})
        with tempfile.TemporaryDirectory(prefix="synthheads_job_") as tmp:
            job_file = Path(tmp) / "job.json"
            job_file.write_text(json.dumps(asdict(sub)))
            read_fd, write_fd = os.pipe()
            cmd, env = worker_command(blender, job_file, write_fd)
            with open(log_path, "a", encoding="utf-8") as log:
                log.write(f"\n=== worker started {time.strftime('%Y-%m-%d %H:%M:%S')} for identities {remaining}: "
                          f"{cmd[0]}\n")  # fmt: skip
                log.flush()
                try:
                    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, pass_fds=(write_fd,),
                                            start_new_session=True, env=env)  # fmt: skip
                except OSError as exc:
                    os.close(write_fd)
                    os.close(read_fd)
                    raise UserInputError(f"--blender {cmd[0]}: cannot run it ({exc.strerror})") from None
            os.close(write_fd)
            tally.started(proc)
            current = None
            try:
                with os.fdopen(read_fd, "r", encoding="utf-8") as events:
                    for line in events:
                        try:
                            ev = json.loads(line)
                        except json.JSONDecodeError:
                            continue
                        kind = ev.get("event")
                        if kind == "identity_start":
                            current = ev["identity"]
                        elif kind == "image":
                            tally.image(ev["identity"])
                        elif kind == "identity_taken":  # another worker of the shared queue has it
                            remaining.remove(ev["identity"])
                        elif kind in ("identity_done", "identity_failed"):
                            remaining.remove(ev["identity"])
                            current = None
                            if kind == "identity_failed":
                                failures[ev["identity"]] = ev.get("message", "unknown error")
                                tally.message(f"identity {ev['identity']} failed: {failures[ev['identity']]}")
                            else:
                                tally.message(f"identity {ev['identity']} done in {ev.get('seconds', 0):.1f} s")
                rc = proc.wait()
            except BaseException:
                _stop(proc)
                raise
            finally:
                tally.ended(proc)
        if rc != 0 and current is not None:
            failures[current] = f"the Blender worker exited with code {rc} (see {log_path})"
            tally.message(f"identity {current} failed: {failures[current]}")
            remaining.remove(current)
        elif rc != 0:
            raise RuntimeError(f"the Blender worker exited with code {rc} before starting (see {log_path})")
    return failures


def _stop(proc: subprocess.Popen) -> None:
    """Terminate the worker's whole process group, then kill it if it does not go in 10 s."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def install_sigterm_handler() -> None:
    """Turn SIGTERM (a batch scheduler cancelling the job) into KeyboardInterrupt so cleanup runs."""

    def handler(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)
