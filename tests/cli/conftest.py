"""Start the CLI's training runs in the background as soon as collection ends.

Each `playground run` subprocess spends seconds importing torch. The unit tests run on one core,
so the runs the CLI tests need are started here and overlap with them; the tests then only wait.
"""


def pytest_collection_finish(session):
    if session.config.option.collectonly:
        return
    for item in session.items:
        if "runs" in getattr(item, "fixturenames", ()) and hasattr(item.module, "BACKGROUND"):
            item.module.BACKGROUND.start()
            return


def pytest_sessionfinish(session):
    for item in session.items:
        background = getattr(getattr(item, "module", None), "BACKGROUND", None)
        if background is not None:
            background.stop()
            return
