"""`cnn-explain export`: progress lines, the result line, --overwrite, errors as exit status 2."""

import tensorflow as tf
from helpers import classifier

from cnn_explain_tf import artifacts, cli


def test_export_command(tmp_path, capsys):
    model_path = tmp_path / "clf.keras"
    artifacts.save_model(classifier(), model_path)
    command = ["export", "--model", str(model_path), "--methods", "gradcam", "hirescam",
               "--out", str(tmp_path / "exports" / "clf")]
    assert cli.main(command) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines[:-1]] == [
        "signature probabilities", "signature gradcam", "signature hirescam"]
    assert lines[-1] == f"wrote 4 signatures to {tmp_path / 'exports' / 'clf' / '1'}"

    assert cli.main(command) == 2
    assert "version 1 already exists" in capsys.readouterr().err

    assert cli.main([*command[:4], "saliency", *command[6:], "--overwrite", "--quiet"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"wrote 3 signatures to {tmp_path / 'exports' / 'clf' / '1'}"]
    loaded = tf.saved_model.load(str(tmp_path / "exports" / "clf" / "1"))
    assert sorted(loaded.signatures) == ["probabilities", "saliency", "serving_default"]
    assert sorted(p.name for p in (tmp_path / "exports" / "clf").iterdir()) == ["1"]


def test_export_command_bad_input(tmp_path, capsys):
    model_path = tmp_path / "clf.keras"
    artifacts.save_model(classifier(), model_path)
    code = cli.main(["export", "--model", str(model_path), "--methods", "lsft",
                     "--out", str(tmp_path / "e")])
    assert code == 2
    # the shipped lsft needs k = 8 conv layers: the 3-conv test model is refused by name
    assert "error: k: expected at most the 3 conv layers" in capsys.readouterr().err
    assert cli.main(["export", "--model", str(tmp_path / "none.keras"), "--out",
                     str(tmp_path / "e")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert not (tmp_path / "e").exists()
