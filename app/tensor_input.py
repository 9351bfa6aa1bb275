"""The input tensor of a request: a nested list, pasted text or a random draw (exactly one), checked and
turned into a float64 array at validation (random draws are drawn when asked for).

    >>> TensorInput.model_validate({"text": "[[1, 2], [3, 4]]"}).array().tolist()
    [[1.0, 2.0], [3.0, 4.0]]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, cast

import numpy as np
from pydantic import Field, GetJsonSchemaHandler, PrivateAttr, ValidationError, model_validator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError

from normlens.app.draws import RandomTensor
from normlens.app.errors import request_words
from normlens.app.fields import PASTE_SCHEMA, JsonSchema, NestedNumbers, StrictModel, field_error, private
from normlens.app.inputs import InputError, nested_array
from normlens.app.lessons import Text
from normlens.app.paste_words import paste_error_parts, paste_notes
from normlens.app.settings import get_settings

PasteText = Annotated[str, JsonSchema(lambda: PASTE_SCHEMA)]


def input_error(title: str, loc: tuple[str, ...], e: InputError, extra: Text | None = None) -> ValidationError:
    """An InputError at `loc` in both languages, `extra` words after it."""
    en, zh = (e.text.en, e.text.zh) if extra is None else (e.text.en + extra.en, e.text.zh + extra.zh)
    return field_error(title, loc, en, None, msg_zh=zh)


@dataclass(frozen=True)
class Pasted:
    """What reading pasted text found besides its numbers."""

    format: str
    notes: list[Any]
    notes_zh: list[Any]
    labels: dict[str, list[str]]


class TensorInput(StrictModel):
    """The input tensor: exactly one of a nested list, pasted text, or a random draw."""

    values: NestedNumbers | None = Field(
        None, description="The tensor as a nested list of numbers, e.g. [[1, 2], [3, 4]]."
    )
    text: PasteText | None = Field(
        None,
        description="Pasted text: a Python/NumPy/PyTorch literal, CSV or whitespace-separated rows; it holds at "
        "least one digit (its grammar is beyond JSON Schema: errors carry the line and column).",
    )
    random: RandomTensor | None = Field(None, description="A reproducible random tensor.")

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        """One form per kind of input, each with its one field, not null: what `_exactly_one` accepts."""
        ref = handler(core_schema)
        schema = handler.resolve_ref_schema(ref)
        forms: list[dict[str, Any]] = []
        for name, prop in schema.pop("properties").items():
            (given,) = (option for option in prop["anyOf"] if option != {"type": "null"})
            field = {**given, "description": prop["description"]}
            forms.append({"title": f"{name.title()}Input", "type": "object", "properties": {name: field}})
            forms[-1] |= {"required": [name], "additionalProperties": False}
        del schema["type"], schema["additionalProperties"]
        schema["oneOf"] = forms
        return ref

    # two private attributes with constant defaults: pydantic copies every default factory's value and looks each
    # private attribute up in Python, on every request (a fifth of a small request's validation with five)
    _array: np.ndarray | None = PrivateAttr(None)
    _pasted: Pasted | None = PrivateAttr(None)

    @model_validator(mode="after")
    def _exactly_one(self) -> TensorInput:
        given = [k for k in ("values", "text", "random") if getattr(self, k) is not None]
        if len(given) != 1:
            got = Text(", ".join(repr(g) for g in given), "、".join(repr(g) for g in given))
            words = request_words("input_kind", got=got if given else request_words("none"))
            raise PydanticCustomError("input_kind", words.en, {"msg_zh": words.zh})
        s = get_settings()
        if self.values is not None:
            try:
                self._array = nested_array(self.values, "values", s.max_elements, s.max_depth)
            except InputError as e:
                raise input_error("TensorInput", ("values",), e) from None
        elif self.text is not None:
            from normlens.paste import parse  # imported late: core pulls in every layer module

            try:
                parsed = parse(self.text, s.max_elements, s.max_depth)
            except ValueError as e:
                message, ctx = paste_error_parts(e)
                raise field_error("TensorInput", ("text",), message, None, "paste_error", **ctx) from None
            self._array = np.asarray(parsed.values, dtype=np.float64).reshape(parsed.shape)
            notes = paste_notes(parsed.notes)
            self._pasted = Pasted(parsed.format, notes["en"], notes["zh"], parsed.labels)
        return self

    @property
    def parsed_format(self) -> str | None:
        """How pasted text was read (normlens.paste's format name); None for other inputs."""
        pasted = private(self)["_pasted"]
        return None if pasted is None else pasted.format

    @property
    def parsed_notes(self) -> dict[str, list[Any]]:
        """What reading pasted text left out or assumed, in English and Chinese."""
        pasted = private(self)["_pasted"]
        return {"en": [], "zh": []} if pasted is None else {"en": pasted.notes, "zh": pasted.notes_zh}

    @property
    def parsed_labels(self) -> dict[str, list[str]]:
        """The labels pasted text gave its axes (a CSV or pandas header: the last axis); {} for other inputs."""
        pasted = private(self)["_pasted"]
        return {} if pasted is None else pasted.labels

    @property
    def kind(self) -> str:
        return "values" if self.values is not None else "text" if self.text is not None else "random"

    def raw_shape(self) -> tuple[int, ...]:
        if (a := private(self)["_array"]) is not None:
            return tuple(a.shape)
        assert self.random is not None
        return tuple(self.random.shape)

    def array(self) -> np.ndarray:
        """The tensor as float64 (random tensors are drawn now, not at validation)."""
        if (a := private(self)["_array"]) is not None:
            return cast(np.ndarray, a)
        assert self.random is not None
        return self.random.draw(self.raw_shape())
