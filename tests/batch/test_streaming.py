"""Batch decoding of sources, the background shard writer, and reusing a built backend."""

import threading

import numpy as np
import pytest
import tensorflow as tf

from cnn_explain_tf import batch
from cnn_explain_tf.batch.local import _parts, _stream_size
from cnn_explain_tf.batch.sources import open_source
from cnn_explain_tf.batch.writer import BackgroundWriter, release
from cnn_explain_tf.validation import InputError


@pytest.mark.parametrize(("array", "shape"), [
    (np.random.default_rng(0).integers(0, 256, (6, 8, 8, 3), dtype=np.uint8), (8, 8, 3)),
    (np.random.default_rng(1).random((6, 8, 8)), (8, 8, 1)),  # float64, grayscale (B, H, W)
    (np.random.default_rng(2).random((6, 8, 8, 3), dtype=np.float32), (4, 4, 1)),  # resized
])
def test_a_npy_block_decodes_to_the_images_read_one_by_one(tmp_path, array, shape):
    if array.dtype.kind == "f":
        array[2, 0, 0] = np.nan
        array[4, 1, 1] = 1.5
    np.save(tmp_path / "a.npy", array)
    source = open_source(str(tmp_path / "a.npy"), shape)
    images, errors = source._read_batch(np.arange(1, 6))
    assert images.dtype == np.float32 and images.shape == (5, *shape)
    for row, index in enumerate(range(1, 6)):
        try:
            expected, error = source._read(index), ""
        except InputError as failure:
            expected, error = np.zeros(shape, np.float32), str(failure)
        assert errors[row] == error
        np.testing.assert_array_equal(images[row], expected)  # bit for bit
    if array.dtype.kind == "f":
        assert errors[1].startswith("expected finite values in [0, 1], got [nan")
        assert errors[3].startswith("expected finite values in [0, 1], got [")
        assert errors[3].endswith(", 1.5]") and errors[0] == errors[2] == ""
    # the streamed batches are the same records, in order, the last batch shorter
    streamed = list(source.batches(1, 6, 2).as_numpy_iterator())
    assert [len(part["position"]) for part in streamed] == [2, 2, 1]
    np.testing.assert_array_equal(np.concatenate([part["image"] for part in streamed]), images)
    assert [e.decode() for part in streamed for e in part["error"]] == errors


def test_the_writer_writes_in_order_and_raises_the_first_error_in_the_caller():
    written = []

    def write(shard, value):
        if shard == 2:
            raise KeyboardInterrupt
        written.append((shard, value, threading.current_thread().name))

    with BackgroundWriter(write, depth=1) as writer:
        writer.put(0, "a")
        writer.put(1, "b")
        writer.close()
    assert written == [(0, "a", "shard-writer"), (1, "b", "shard-writer")]
    writer = BackgroundWriter(write, depth=1)
    writer.put(2, "c")
    with pytest.raises(KeyboardInterrupt):
        for shard in range(3, 100):  # a later put (or close) raises; nothing more is written
            writer.put(shard, "d")
        writer.close()
    assert [shard for shard, *_ in written] == [0, 1]


def test_concatenated_results_keep_their_order_and_cast_the_maps_only_when_asked():
    values = np.random.default_rng(3).random((3, 8, 8), dtype=np.float32)
    parts = [batch.BatchResult({"position": np.array([row])}, {"gradcam": values[row:row + 1]})
             for row in range(3)]
    joined = batch.BatchResult.concatenate(parts, "float16")
    assert joined.columns["position"].tolist() == [0, 1, 2]
    np.testing.assert_array_equal(joined.maps["gradcam"], values.astype(np.float16))
    assert joined.maps["gradcam"].dtype == np.float16
    np.testing.assert_array_equal(batch.BatchResult.concatenate(parts).maps["gradcam"], values)


def test_a_streamed_element_of_several_batches_is_cut_into_steps_within_one_shard():
    # small images stream 4 batches per element (64 * 64 * 64 * 3 float32: 3 MiB a batch);
    # 224 x 224 ones one batch (18 MiB a batch of 32); a model of any size too
    assert _stream_size(64, (64, 64, 3)) == 256
    assert _stream_size(32, (224, 224, 3)) == 32 and _stream_size(8, (None, None, 3)) == 8
    records = {"position": np.arange(5, 15), "image": np.arange(10.0)[:, None]}
    parts = list(_parts(records, shard_size=4, batch_size=3))
    assert [(shard, part["position"].tolist()) for shard, part in parts] == [
        (1, [5, 6, 7]), (2, [8, 9, 10]), (2, [11]), (3, [12, 13, 14])]
    assert all(np.shares_memory(part["image"], records["image"]) for _, part in parts)
    # the local runner's images are the tensor tf.data made: the same cut
    tensor_parts = list(_parts({**records, "image": tf.constant(records["image"])}, 4, 3))
    assert [part["image"].numpy().ravel().tolist() for _, part in tensor_parts] == [
        part["image"].ravel().tolist() for _, part in parts]


def test_release_drops_the_only_reference_on_another_thread():
    class Tracked:
        def __del__(self):
            dropped.append(threading.current_thread().name)

    dropped, holder = [], [Tracked()]
    release(holder)
    for thread in threading.enumerate():
        if thread.name == "iterator-release":
            thread.join(5)
    assert holder == [] and dropped == ["iterator-release"]


def test_a_built_backend_is_reused_for_its_methods_only(model, folder, tmp_path):
    backend = batch.load_backend(model, ["gradcam"], batch_size=4)
    assert batch.load_backend(backend, ["gradcam"]) is backend
    result = batch.explain_dataset(backend, f"folder:{folder}", ["gradcam"], tmp_path / "a",
                                   batch_size=4, verbose=0)
    batch.explain_dataset(model, f"folder:{folder}", ["gradcam"], tmp_path / "b", batch_size=4,
                          verbose=0)
    assert result.images == 7
    assert (tmp_path / "a" / "index.csv").read_text() == (tmp_path / "b" / "index.csv").read_text()
    with pytest.raises(InputError, match=r"model: expected a backend of methods \['saliency'\]"):
        batch.explain_dataset(backend, f"folder:{folder}", ["saliency"], tmp_path / "c",
                              verbose=0)
