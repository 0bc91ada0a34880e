"""A batch's enriched file and a watch digest's table: when Slack may take the upload later
(out of reach, busy) the notifier raises, so the batch's finisher or the firing attaches it
on a later pass; when Slack said no for good it is logged and the end goes on."""

from __future__ import annotations

from urllib.error import URLError

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.batches.progress import Report, measure
from bot.runs.types import DeliveryError
from bot.slack.batch_notifier import SlackBatchNotifier
from bot.slack.watch_posts import SlackWatchNotifier
from bot.watches.records import Firing, Watch
from tests.batches.test_batch_shutdown import finished_batch
from tests.batches.test_batch_store_backends import NOW
from tests.watches.test_watch_store_backends import DAILY


class Client:
    def __init__(self, upload_fails: Exception) -> None:
        self.upload_fails: Exception | None = upload_fails
        self.uploads: list[str] = []
        self.updates = 0

    def files_upload_v2(self, **kwargs):
        failure, self.upload_fails = self.upload_fails, None
        if failure is not None:
            raise failure
        self.uploads.append(kwargs["filename"])

    def chat_update(self, **kwargs):
        self.updates += 1


def refused(error: str) -> SlackApiError:
    response = SlackResponse(client=None, http_verb="POST", api_url="", req_args={},
                             data={"ok": False, "error": error}, headers={}, status_code=200)
    return SlackApiError(error, response)


def ended(tmp_path):
    store, batches = finished_batch(str(tmp_path / "bot.db"))
    batch = batches.get("b1")
    report = Report(measure(batch, batches.counts("b1"), NOW + 10), [], b"company\nAcme\n")
    return store, batch, report


def test_an_upload_slack_may_take_later_raises_and_the_next_try_attaches_it(tmp_path):
    store, batch, report = ended(tmp_path)
    client = Client(URLError("connection reset"))
    notifier = SlackBatchNotifier(client)  # type: ignore[arg-type]
    with pytest.raises(DeliveryError) as raised:
        notifier.attach_batch_result(batch, report)
    assert raised.value.retryable and client.uploads == []
    notifier.attach_batch_result(batch, report)
    assert len(client.uploads) == 1 and client.updates == 1
    store.close()


def test_an_upload_slack_refused_for_good_is_logged_and_not_tried_again(tmp_path, caplog):
    store, batch, report = ended(tmp_path)
    client = Client(refused("not_allowed_token_type"))
    SlackBatchNotifier(client).attach_batch_result(batch, report)  # type: ignore[arg-type]
    assert client.uploads == [] and client.updates == 1
    assert "could not attach the file of batch b1" in caplog.text
    store.close()


def test_a_digest_table_slack_may_take_later_raises_one_refused_for_good_is_logged(caplog):
    watch = Watch(id="w1", owner="U0ANA", grid_id="g1", grid_name="Company Enrichment",
                  input_keys=["company_name"], outputs=[], schedule=DAILY, state="active",
                  created_at=NOW, thread_channel="C1", thread_ts="1.0")  # fmt: skip
    firing = Firing("f1", "w1", NOW, "manual", "attaching", NOW)
    client = Client(URLError("connection reset"))
    notifier = SlackWatchNotifier(client)  # type: ignore[arg-type]
    with pytest.raises(DeliveryError):
        notifier.attach_table(watch, firing, "company\nAcme\n")
    notifier.attach_table(watch, firing, "company\nAcme\n")
    assert len(client.uploads) == 1
    client.upload_fails = refused("not_allowed_token_type")
    notifier.attach_table(watch, firing, "company\nAcme\n")
    assert len(client.uploads) == 1 and "could not attach the table of firing f1" in caplog.text
