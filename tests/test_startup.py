"""Start-up of the cnn-explain command: TensorFlow's C++ logging off unless asked for."""

from cnn_explain_tf import startup


def test_the_command_is_recognised_as_script_or_module():
    assert startup.is_command_line(["/usr/bin/cnn-explain", "explain"], [])
    assert startup.is_command_line(["-m"], ["python", "-m", "cnn_explain_tf.cli", "demo"])
    assert not startup.is_command_line(["/usr/bin/pytest"], ["python", "-m", "pytest"])
    assert not startup.is_command_line(["script.py"], ["python", "script.py"])


def test_verbose_flag_or_environment_variable_asks_for_the_logs():
    assert startup.wants_verbose(["cnn-explain", "explain", "--verbose"], {})
    assert startup.wants_verbose(["cnn-explain"], {startup.VERBOSE_ENV: "1"})
    assert not startup.wants_verbose(["cnn-explain", "explain"], {startup.VERBOSE_ENV: "0"})
    assert not startup.wants_verbose(["cnn-explain"], {})


def test_silencing_keeps_a_level_the_user_chose():
    environ = {}
    startup.silence_tensorflow(environ)
    assert environ == {"TF_CPP_MIN_LOG_LEVEL": "3"}
    chosen = {"TF_CPP_MIN_LOG_LEVEL": "1"}
    startup.silence_tensorflow(chosen)
    assert chosen == {"TF_CPP_MIN_LOG_LEVEL": "1"}


def test_onednn_is_switched_on_unless_the_user_chose():
    environ = {}
    startup.use_onednn(environ)
    assert environ == {startup.ONEDNN_ENV: "1"}
    chosen = {startup.ONEDNN_ENV: "0"}
    startup.use_onednn(chosen)
    assert chosen == {startup.ONEDNN_ENV: "0"}


def test_a_library_import_keeps_tensorflow_defaults(monkeypatch):
    monkeypatch.setattr(startup, "is_command_line", lambda: False)
    monkeypatch.delenv(startup.ONEDNN_ENV, raising=False)
    assert not startup.prepare_command_line()
    assert startup.ONEDNN_ENV not in startup.os.environ
