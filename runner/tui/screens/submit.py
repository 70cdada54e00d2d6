"""The submit form: a command and what it asks for, checked before it is queued."""

from __future__ import annotations

import os
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from runner.client import ClientError
from runner.tui.form import FIELDS, build_spec, field_errors
from runner.tui.hosting import Requester
from runner.tui.messages import FormRejected, Submitted

_LABELS = {
    "command": ("Command", "run by /bin/sh -c, e.g. python train.py --lr 1e-3"),
    "cpus": ("CPUs", "1"),
    "name": ("Name", "optional; defaults to the program's name"),
    "directory": ("Directory", "where it runs"),
    "time": ("Time limit", "optional: MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM:SS"),
}


class SubmitScreen(ModalScreen[int | None]):
    """Dismissed with the new job's id, or None when the user backs out."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_form", "Close"),
        Binding("ctrl+s", "submit", "Submit"),
    ]

    def __init__(self, client: Requester, total_cpus: int) -> None:
        super().__init__()
        self.client = client
        self.total_cpus = total_cpus

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="form"):
            yield Static(Text("Submit a job", style="bold"), id="form-title")
            for field in FIELDS:
                label, hint = _LABELS[field]
                yield Label(Text(label), classes="field-label")
                value = {"cpus": "1", "directory": os.getcwd()}.get(field, "")
                yield Input(value, placeholder=hint, id=field, compact=True)
                yield Static(Text(""), id=f"{field}-error", classes="field-error")
            yield Static(Text(""), id="form-error", classes="field-error")
            with Horizontal(id="buttons"):
                yield Button("Submit (ctrl+s)", variant="primary", id="submit")
                yield Button("Close (esc)", id="close")

    def on_mount(self) -> None:
        self.query_one("#command", Input).focus()

    @on(Button.Pressed, "#submit")
    @on(Input.Submitted)
    def action_submit(self) -> None:
        values = {field: self.query_one(f"#{field}", Input).value for field in FIELDS}
        self.query_one("#submit", Button).disabled = True
        self._send(values)

    @on(Button.Pressed, "#close")
    def action_dismiss_form(self) -> None:
        self.dismiss(None)

    @work(thread=True, exclusive=True, group="submit")
    def _send(self, values: dict[str, str]) -> None:
        spec, errors = build_spec(values, self.total_cpus, dict(os.environ))
        if spec is None:
            self.post_message(FormRejected(errors))
            return
        try:
            answer = self.client.request("add", spec=spec.to_dict())
        except ClientError as error:
            self.post_message(FormRejected(field_errors(str(error))))
        except OSError as error:
            self.post_message(
                FormRejected({"form": f"the host did not answer: {error}"})
            )
        else:
            self.post_message(Submitted(int(answer["id"])))

    def on_form_rejected(self, message: FormRejected) -> None:
        self.query_one("#submit", Button).disabled = False
        for field in (*FIELDS, "form"):
            error = message.errors.get(field, "")
            self.query_one(f"#{field}-error", Static).update(Text(error))
            self.query_one(f"#{field}-error").display = bool(error)
        first = next((f for f in FIELDS if f in message.errors), None)
        if first is not None:
            self.query_one(f"#{first}", Input).focus()

    def on_submitted(self, message: Submitted) -> None:
        self.dismiss(message.job_id)
