"""`batch.explain_dataset`: streamed folders with bad files, shards, the index, resume, errors."""

import csv

import cv2
import numpy as np
import pytest
import tensorflow as tf

import cnn_explain_tf as cet
from cnn_explain_tf import batch
from cnn_explain_tf.batch.sources import fit_image
from cnn_explain_tf.validation import InputError


def read_csv(path):
    with open(path) as handle:
        return list(csv.DictReader(handle))


def test_a_folder_with_a_corrupt_file_and_mixed_sizes(model, folder, tmp_path):
    result = batch.explain_dataset(model, f"folder:{folder}", ["gradcam"], tmp_path / "out",
                                   batch_size=2, shard_size=3, verbose=0)
    assert (result.images, result.skipped, result.shards) == (7, 1, 3)
    assert "explained 7 images (1 skipped" in result.line()
    skipped = read_csv(tmp_path / "out" / "skipped.csv")
    assert [row["id"] for row in skipped] == ["a/broken.png"] and "decode" in skipped[0]["reason"]
    rows = read_csv(tmp_path / "out" / "index.csv")
    assert [row["id"] for row in rows] == sorted(p.relative_to(folder).as_posix()
                                                 for p in folder.rglob("img*.png"))
    assert [int(row["label"]) for row in rows] == [0 if r["id"][0] == "a" else 1 for r in rows]
    ids, maps = batch.load_maps(tmp_path / "out", "gradcam")
    assert list(ids) == [row["id"] for row in rows]
    assert maps.dtype == np.float16 and maps.shape == (7, 16, 16)
    # the stored maps are the library's Grad-CAM of the decoded, resized images
    decoded = np.stack([fit_image(cv2.cvtColor(cv2.imread(str(folder / name)), cv2.COLOR_BGR2RGB),
                                  (16, 16, 3)) for name in ids])
    expected = cet.explain.GradCAM(model)(decoded)
    np.testing.assert_allclose(maps.astype(np.float32), expected, atol=2e-3)
    # batches of one: the corrupt file is a batch of its own; same index, same maps
    batch.explain_dataset(model, f"folder:{folder}", ["gradcam"], tmp_path / "ones",
                          batch_size=1, shard_size=3, verbose=0)
    assert (tmp_path / "ones" / "index.csv").read_text() == (
        tmp_path / "out" / "index.csv").read_text()
    np.testing.assert_allclose(batch.load_maps(tmp_path / "ones", "gradcam")[1], maps, atol=1e-3)


def test_the_index_schema_and_values(model, folder, tmp_path):
    batch.explain_dataset(model, f"folder:{folder}", ["gradcam", "saliency"], tmp_path,
                          shard_size=4, metrics=["average_drop", "deletion_auc"], targets=2,
                          verbose=0)
    rows = read_csv(tmp_path / "index.csv")
    assert list(rows[0]) == [
        "position", "id", "shard", "row", "label", "predicted", "probability", "target",
        "target_probability", "gradcam_average_drop", "gradcam_deletion_auc",
        "saliency_average_drop", "saliency_deletion_auc"]
    assert [int(r["shard"]) for r in rows] == [int(r["position"]) // 4 for r in rows]
    for r in rows:  # (shard, row) finds the image's entry in its shard file
        shard = batch.read_shard(batch.shard_path(tmp_path, int(r["shard"])))
        assert shard["id"][int(r["row"])] == r["id"]
    shard = batch.read_shard(tmp_path / "shards" / "shard-00000.npz")
    images = np.stack([fit_image(cv2.cvtColor(cv2.imread(str(folder / name)), cv2.COLOR_BGR2RGB),
                                 (16, 16, 3)) for name in shard["id"]])
    probabilities = model.predict(images, verbose=0)
    np.testing.assert_array_equal(shard["predicted"], probabilities.argmax(axis=1))
    np.testing.assert_allclose(shard["probability"], probabilities.max(axis=1), atol=1e-5)
    np.testing.assert_allclose(shard["target_probability"], probabilities[:, 2], atol=1e-5)
    assert {r["target"] for r in rows} == {"2"}
    manifest = cet.artifacts.read_json(tmp_path / "manifest.json")
    assert manifest["shards_done"] == [0, 1] and manifest["finished"]
    assert manifest["config"]["methods"] == ["gradcam", "saliency"]


def test_resume_after_an_interrupted_shard(model, folder, tmp_path, monkeypatch):
    out = tmp_path / "out"
    whole = batch.explain_dataset(model, f"folder:{folder}", ["gradcam"], tmp_path / "whole",
                                  shard_size=2, verbose=0)
    written = []
    real_write = batch.local.write_shard

    def write_then_die(out_dir, shard, *args):
        if written:  # the second shard: killed while writing it
            raise KeyboardInterrupt
        written.append(shard)
        return real_write(out_dir, shard, *args)

    monkeypatch.setattr(batch.local, "write_shard", write_then_die)
    with pytest.raises(KeyboardInterrupt):
        batch.explain_dataset(model, f"folder:{folder}", ["gradcam"], out, shard_size=2,
                              verbose=0)
    assert sorted(p.name for p in (out / "shards").iterdir()) == ["shard-00000.npz"]
    (out / "shards" / ".shard-00001.abcd1234.tmp.npz").write_bytes(b"half a shard")
    first = (out / "shards" / "shard-00000.npz").stat().st_mtime_ns
    monkeypatch.undo()
    resumed = batch.explain_dataset(model, f"folder:{folder}", ["gradcam"], out, shard_size=2,
                                    verbose=0)
    assert (resumed.explained_now, resumed.images, whole.shards) == (3, 7, 4)
    assert (out / "shards" / "shard-00000.npz").stat().st_mtime_ns == first
    assert not list((out / "shards").glob(".*"))  # the stale temporary is gone
    assert (out / "index.csv").read_text() == (tmp_path / "whole" / "index.csv").read_text()
    again = batch.explain_dataset(model, f"folder:{folder}", ["gradcam"], out, shard_size=2,
                                  verbose=0)
    assert again.explained_now == 0


def test_a_folder_of_another_config_is_refused(model, folder, tmp_path):
    batch.explain_dataset(model, f"folder:{folder}", ["gradcam"], tmp_path, shard_size=4,
                          verbose=0)
    with pytest.raises(InputError, match="another config"):
        batch.explain_dataset(model, f"folder:{folder}", ["saliency"], tmp_path, shard_size=4,
                              verbose=0)


def test_npy_and_tfrecord_sources(model, tmp_path):
    array = np.random.default_rng(0).random((5, 16, 16, 3), dtype=np.float32)
    array[3, 0, 0, 0] = 2.0  # out of [0, 1]: skipped
    np.save(tmp_path / "batch.npy", array)
    result = batch.explain_dataset(model, str(tmp_path / "batch.npy"), ["gradcam"],
                                   tmp_path / "npy", map_dtype="float32", verbose=0)
    assert (result.images, result.skipped) == (4, 1)
    ids, maps = batch.load_maps(tmp_path / "npy", "gradcam")
    assert list(ids) == ["batch.npy_0", "batch.npy_1", "batch.npy_2", "batch.npy_4"]
    np.testing.assert_allclose(maps, cet.explain.GradCAM(model)(array[[0, 1, 2, 4]]), atol=1e-5)
    with tf.io.TFRecordWriter(str(tmp_path / "part-0.tfrecord")) as writer:
        for index, image in enumerate(array[:3]):
            encoded = cv2.imencode(".png", (image * 255).astype(np.uint8))[1].tobytes()
            feature = {"image": _bytes(encoded if index != 1 else b"junk"),
                       "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[index]))}
            writer.write(tf.train.Example(features=tf.train.Features(
                feature=feature)).SerializeToString())
    result = batch.explain_dataset(model, f"tfrecord:{tmp_path}/part-*.tfrecord", ["gradcam"],
                                   tmp_path / "records", targets="label", verbose=0)
    rows = read_csv(tmp_path / "records" / "index.csv")
    assert (result.images, result.skipped) == (2, 1)
    assert [(r["id"], r["target"]) for r in rows] == [("record-0", "0"), ("record-2", "2")]


def _bytes(value: bytes) -> tf.train.Feature:
    return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))


@pytest.mark.parametrize(("data", "methods", "message"), [
    ("ftp:somewhere", ["gradcam"], "data: expected tfds:NAME[:SPLIT], folder:PATH, "
                                   "tfrecord:GLOB or FILE.npy, got 'ftp:somewhere'"),
    ("folder:{folder}", ["nope"], "methods: expected one of"),
    # the shipped lsft needs k = 8 conv layers: a smaller model is refused by name
    ("folder:{folder}", ["lsft"], "k: expected at most the"),
    ("folder:/no/such/folder", ["gradcam"], "data: expected a folder after 'folder:'"),
])
def test_bad_arguments_fail_before_anything_is_written(model, folder, tmp_path, data, methods,
                                                       message):
    with pytest.raises(InputError, match=message.replace("[", r"\[").replace("]", r"\]")):
        batch.explain_dataset(model, data.format(folder=folder), methods, tmp_path / "out",
                              verbose=0)
    assert not (tmp_path / "out").exists()
