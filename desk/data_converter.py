"""The one data converter set-up: every client, worker, test environment and replayer uses
``DATA_CONVERTER``, so a change here (an encrypting payload codec) reaches all of them."""

from __future__ import annotations

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter

DATA_CONVERTER: DataConverter = pydantic_data_converter

__all__ = ["DATA_CONVERTER"]
