"""The Slack stand-in's files: the three-step upload (files_upload_v2), files.info, and
url_private downloads that need the bot token, as in Slack."""

from __future__ import annotations

import time

from bot.playground.slack.records import Call, SlackError, json_arg
from bot.playground.slack.state import SlackState


class FilesApi(SlackState):
    def api_files_getUploadURLExternal(self, args: dict) -> dict:
        file_id = f"F{next(self._ids):010d}"  # Slack's ids: F and at least 8 more
        with self.lock:
            self.files[file_id] = {
                "id": file_id,
                "filename": args.get("filename"),
                "length": int(args.get("length") or 0),
                "content": b"",
                "alt_text": args.get("alt_txt"),
            }
        return {"upload_url": f"{self.base}/upload/{file_id}", "file_id": file_id}

    def api_files_completeUploadExternal(self, args: dict) -> dict:
        entries = json_arg(args.get("files")) or []
        channel, thread = args.get("channel_id"), args.get("thread_ts")
        done = []
        with self.lock:
            for entry in entries:
                record = self.files.get(entry.get("id"))
                if record is None:
                    raise SlackError("file_not_found")
                record.update(
                    title=entry.get("title"),
                    channel=channel,
                    thread_ts=thread,
                    uploaded_by_bot=True,
                )
                done.append(
                    {
                        "id": record["id"],
                        "title": record.get("title"),
                        "name": record.get("filename"),
                    }
                )
                if channel and thread:
                    parent = self.message(channel, thread)
                    if parent is not None:
                        parent.files.append(record)
        for record in done:
            self._emit("file", self.files[record["id"]])
        return {"files": done}

    def add_file(
        self,
        content: bytes,
        name: str = "leads.csv",
        *,
        filetype: str = "csv",
        shared: bool = True,
        mimetype: str = "text/csv",
    ) -> dict:
        """A file as if a person had uploaded it (to a form or a message); returns the file
        object Slack puts in `file_input` state. Unshared files are invisible to the bot, as
        in Slack: files.info says file_not_found and the download shows the sign-in page."""
        file_id = f"F{next(self._ids):06d}"
        url = f"{self.base}/files-pri/T0001-{file_id}/{name}"
        record = {
            "id": file_id,
            "name": name,
            "title": name,
            "filetype": filetype,
            "mimetype": mimetype,
            "pretty_type": filetype.upper(),
            "size": len(content),
            "url_private": url,
            "url_private_download": url + "?download=1",
            "shared": shared,
            "content": content,
            "user_upload": True,
        }
        with self.lock:
            self.files[file_id] = record
        return {k: v for k, v in record.items() if k not in ("content", "shared", "user_upload")}

    def api_files_info(self, args: dict) -> dict:
        with self.lock:
            record = self.files.get(str(args.get("file") or ""))
        if record is None or not record.get("user_upload") or not record.get("shared"):
            raise SlackError("file_not_found")
        return {
            "file": {
                k: v for k, v in record.items() if k not in ("content", "shared", "user_upload")
            }
        }

    def download(self, path: str, authorization: str | None) -> tuple[int, bytes, str]:
        """GET of a url_private: the bytes with the bot token, else Slack's sign-in page."""
        parts = path.split("/")
        file_id = parts[2].split("-", 1)[-1] if len(parts) > 2 else ""
        with self.lock:
            record = self.files.get(file_id)
            self.calls.append(Call("files.download", {"file": file_id}, time.monotonic()))
        authorised = authorization == f"Bearer {self.token}"
        if record is None or not record.get("shared") or not authorised:
            page = b"<!DOCTYPE html><html><body>Sign in to Slack</body></html>"
            return 200, page, "text/html; charset=utf-8"
        return 200, record["content"], record.get("mimetype") or "application/octet-stream"

    def upload(self, file_id: str, content: bytes) -> int:
        with self.lock:
            if file_id not in self.files:
                return 404
            self.files[file_id]["content"] = content
        return 200

