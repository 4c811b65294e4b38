"""Explaining a whole dataset: runner overhead, engines, memory and kill -9 resume, as ratios.

Prints, from one run:
1. local runner (`cet.batch.explain_dataset`, shards written) vs the bare explainer called on the
   same batches in a loop: Grad-CAM, zoo "vgg_lite" at 64x64, 2,048 images (goal >= 0.9x);
   both warm (compiled steps traced before timing; start-up timed apart), the same .npy batches,
   interleaved pairs timed by the wall clock and by CPU time (steadier on a shared machine),
   with the load average before and after the pairs;
2. Beam DirectRunner and local Ray vs the local runner on the same work (goal >= 0.5x each), at
   their steady rate, with their start-up cost (workers, model load, trace) measured separately;
3. peak RSS of the local runner on 20,000 vs 2,000 images (goal <= 1.2x);
4. kill -9 at about half of a 4,096-image run, rerun: unique rows and equality with an
   uninterrupted run's index.

Run: `python benchmarks/explain_dataset.py` (about 2-5 minutes on 2 CPU cores); `--skip-engines`
leaves out 2, `--only-overhead` runs 1 only.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

SIZE, BATCH, SHARD = 64, 64, 512


def smooth_images(count: int, seed: int = 0):
    """Compressible (smooth) random uint8 images: PNGs of a few KB."""
    import numpy as np

    rng = np.random.default_rng(seed)
    grid = np.linspace(0, 1, SIZE, dtype=np.float32)
    for _ in range(count):
        a, b, c = rng.random(3, dtype=np.float32)
        image = np.stack([np.add.outer(a * grid, b * grid), np.outer(grid, grid) * c,
                          np.add.outer(grid * 0.5, grid * (1 - a) * 0.5)], axis=-1)
        yield (np.clip(image, 0, 1) * 255).astype(np.uint8)


def write_tfrecord(path: Path, count: int) -> str:
    import cv2
    import tensorflow as tf

    with tf.io.TFRecordWriter(str(path)) as writer:
        for image in smooth_images(count):
            encoded = cv2.imencode(".png", image)[1].tobytes()
            feature = {"image": tf.train.Feature(bytes_list=tf.train.BytesList(value=[encoded]))}
            writer.write(tf.train.Example(features=tf.train.Features(
                feature=feature)).SerializeToString())
    return f"tfrecord:{path}"


def model_file(folder: Path) -> Path:
    import cnn_explain_tf as cet

    path = folder / "vgg_lite.keras"
    if not path.exists():
        cet.models.zoo.build("vgg_lite", (SIZE, SIZE, 3), 10).save(path)
    return path


def timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def clocked(function, *args) -> tuple[float, float]:
    """(wall seconds, CPU seconds of every thread of this process) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    function(*args)
    return time.perf_counter() - wall, time.process_time() - cpu


def overhead(folder: Path, images: int = 2048, rounds: int = 9) -> dict:
    """Local runner vs the bare explainer loop, both warm (their compiled steps traced before
    timing), both reading the same .npy batches, in `rounds` interleaved pairs (the order
    alternating), each timed by the wall clock and by the process's CPU time (every thread: the
    runner's input stream and shard writer included). On a machine shared with other work the
    CPU ratio is the steadier one. Start-up (tracing; for the runner also the run folder, its
    manifest and index) is timed apart."""
    import numpy as np

    import cnn_explain_tf as cet

    model = cet.artifacts.load_model(model_file(folder))
    data = folder / "images.npy"
    np.save(data, np.stack(list(smooth_images(images))).astype(np.float32) / 255)
    np.save(folder / "small.npy", np.load(data)[:BATCH])
    array = np.load(data, mmap_mode="r")
    explainer = cet.explain.GradCAM(model, batch_size=BATCH)
    bare_startup = timed(lambda: explainer(np.asarray(array[:BATCH])))
    options = {"batch_size": BATCH, "shard_size": SHARD, "verbose": 0}
    local_startup = timed(lambda: cet.batch.explain_dataset(
        model, str(folder / "small.npy"), ["gradcam"], folder / "cold", **options))
    backend = cet.batch.load_backend(model, ["gradcam"], batch_size=BATCH)
    cet.batch.explain_dataset(backend, str(folder / "small.npy"), ["gradcam"], folder / "warm",
                              **options)
    runs = {"bare": lambda _: [explainer(np.asarray(array[i:i + BATCH]))
                               for i in range(0, images, BATCH)],
            "local": lambda round_: cet.batch.explain_dataset(
                backend, str(data), ["gradcam"], folder / f"local-{round_}", **options)}
    clocks, load = {"bare": [], "local": []}, os.getloadavg()[0]
    for round_ in range(rounds):
        for name in ("bare", "local")[::1 if round_ % 2 else -1]:
            clocks[name].append(clocked(runs[name], round_))
    bare, local = np.array(clocks["bare"]), np.array(clocks["local"])
    return {"load": (load, os.getloadavg()[0]),
            "bare_img_s": images / bare[:, 0].min(), "local_img_s": images / local[:, 0].min(),
            "median_wall_ratio": float(np.median(bare[:, 0] / local[:, 0])),
            "bare_cpu_s": float(np.median(bare[:, 1])),
            "local_cpu_s": float(np.median(local[:, 1])),
            "bare_startup_s": bare_startup, "local_startup_s": local_startup}


def engines(folder: Path, images: int = 2048, small: int = 32) -> dict:
    """Beam DirectRunner and local Ray on the local runner's work, at their steady rate, with
    their start-up cost (workers started, model loaded and traced: in every run) apart.

    Ray's actor writes each shard as soon as it is explained, so its steady rate is read from
    the shard files' completion times; Beam writes every shard after its GroupByKey, so its
    steady rate is the marginal one between a `small`-image run and the full run. Start-up is a
    run's time beyond `images / rate`; Ray's `ray.init` is timed on its own.
    """
    import numpy as np
    import ray

    from cnn_explain_tf.scale import beam as scale_beam
    from cnn_explain_tf.scale import ray as scale_ray

    model, data = str(model_file(folder)), str(folder / "images.npy")
    np.save(folder / "engine-small.npy", np.load(data, mmap_mode="r")[:small])
    options = {"batch_size": BATCH, "shard_size": SHARD, "verbose": 0}
    result = {"ray_init_s": timed(lambda: ray.init(include_dashboard=False, log_to_driver=False,
                                                   configure_logging=False))}
    first = timed(lambda: scale_beam.explain_dataset_beam(
        model, str(folder / "engine-small.npy"), ["gradcam"], folder / "beam-small", **options))
    whole = timed(lambda: scale_beam.explain_dataset_beam(model, data, ["gradcam"],
                                                          folder / "beam", **options))
    result["beam_img_s"] = (images - small) / max(whole - first, 1e-9)
    result["beam_startup_s"] = first - small / result["beam_img_s"]
    whole = timed(lambda: scale_ray.explain_dataset_ray(model, data, ["gradcam"], folder / "ray",
                                                        **options))
    done = sorted(path.stat().st_mtime for path in (folder / "ray" / "shards").glob("*.npz"))
    result["ray_img_s"] = (len(done) - 1) * SHARD / max(done[-1] - done[0], 1e-9)
    result["ray_startup_s"] = whole - images / result["ray_img_s"]
    ray.shutdown()
    return result


def child(args) -> None:
    """One local run in this process; prints its peak RSS (MiB) as JSON."""
    import resource

    import cnn_explain_tf as cet

    cet.batch.explain_dataset(args.model, args.data, ["gradcam"], args.out, batch_size=BATCH,
                              shard_size=SHARD, verbose=0)
    print(json.dumps({"peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def child_command(model: Path, data: str, out: Path) -> list[str]:
    return [sys.executable, __file__, "--child", "--model", str(model), "--data", data,
            "--out", str(out)]


def memory(folder: Path) -> dict:
    peaks = {}
    for count in (2_000, 20_000):
        data = write_tfrecord(folder / f"images-{count}.tfrecord", count)
        output = subprocess.run(child_command(model_file(folder), data, folder / f"rss-{count}"),
                                capture_output=True, text=True, check=True).stdout
        peaks[count] = json.loads(output.strip().splitlines()[-1])["peak_rss_mib"]
    return {"rss_2000_mib": peaks[2_000], "rss_20000_mib": peaks[20_000]}


def kill_and_resume(folder: Path, count: int = 4096) -> dict:
    data = write_tfrecord(folder / "kill.tfrecord", count)
    model = model_file(folder)
    whole, killed = folder / "whole", folder / "killed"
    subprocess.run(child_command(model, data, whole), check=True, capture_output=True)
    process = subprocess.Popen(child_command(model, data, killed), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    half = count // SHARD // 2
    while process.poll() is None and len(list((killed / "shards").glob("shard-*.npz"))) < half:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    shards_at_kill = len(list((killed / "shards").glob("shard-*.npz")))
    subprocess.run(child_command(model, data, killed), check=True, capture_output=True)
    with open(killed / "index.csv") as handle:
        ids = [row["id"] for row in csv.DictReader(handle)]
    return {"shards_at_kill": shards_at_kill, "rows": len(ids), "unique_rows": len(set(ids)),
            "equal_to_uninterrupted": (killed / "index.csv").read_text()
            == (whole / "index.csv").read_text()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--model"), parser.add_argument("--data"), parser.add_argument("--out")
    parser.add_argument("--skip-engines", action="store_true")
    parser.add_argument("--only-overhead", action="store_true", help="run part 1 only")
    args = parser.parse_args()
    if args.child:
        return child(args)
    folder = Path(tempfile.mkdtemp(prefix="explain-dataset-bench-"))
    try:
        report(folder, args.skip_engines, args.only_overhead)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def report(folder: Path, skip_engines: bool, only_overhead: bool = False) -> None:
    start = time.perf_counter()
    speed = overhead(folder)
    print(f"1. local runner {speed['local_img_s']:.0f} img/s vs bare explainer loop "
          f"{speed['bare_img_s']:.0f} img/s: {speed['local_img_s'] / speed['bare_img_s']:.2f}x "
          f"best wall, {speed['median_wall_ratio']:.2f}x median of paired wall ratios, "
          f"{speed['bare_cpu_s'] / speed['local_cpu_s']:.2f}x by CPU time (medians "
          f"{speed['local_cpu_s']:.2f} vs {speed['bare_cpu_s']:.2f} s) (goal >= 0.9x; both warm, "
          "the same .npy batches, 9 interleaved pairs); "
          f"start-up: runner {speed['local_startup_s']:.2f} s (a cold {BATCH}-image run: steps "
          f"traced, folder claimed), bare {speed['bare_startup_s']:.2f} s (trace); 1-minute "
          f"load average {speed['load'][0]:.2f} before the pairs, {speed['load'][1]:.2f} after "
          f"({os.cpu_count()} CPUs)", flush=True)
    if only_overhead:
        return
    if not skip_engines:
        scaled = engines(folder)
        for name in ("beam", "ray"):
            how = {"beam": "marginal rate, 32 vs 2,048 images",
                   "ray": "from its shard completion times"}[name]
            print(f"2. {name} {scaled[f'{name}_img_s']:.0f} img/s steady ({how}) vs local: "
                  f"{scaled[f'{name}_img_s'] / speed['local_img_s']:.2f}x (goal >= 0.5x); "
                  f"start-up per run {scaled[f'{name}_startup_s']:.1f} s (workers, model load, "
                  "trace)" + (f", ray.init {scaled['ray_init_s']:.1f} s" if name == "ray"
                              else ""), flush=True)
    peaks = memory(folder)
    print(f"3. peak RSS 20,000 images {peaks['rss_20000_mib']:.0f} MiB vs 2,000 images "
          f"{peaks['rss_2000_mib']:.0f} MiB: {peaks['rss_20000_mib'] / peaks['rss_2000_mib']:.2f}x "
          "(goal <= 1.2x)", flush=True)
    kill = kill_and_resume(folder)
    print(f"4. kill -9 after {kill['shards_at_kill']} of 8 shards, rerun: {kill['rows']} rows, "
          f"{kill['unique_rows']} unique, equal to an uninterrupted run: "
          f"{kill['equal_to_uninterrupted']}", flush=True)
    print(f"total {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
