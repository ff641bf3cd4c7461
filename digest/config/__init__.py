"""The config file: YAML in, frozen dataclasses out, validated in this one place.

Every key is declared once (:mod:`.settings`, and the settings of :mod:`digest.model`): its
type, default, check and doc. Every problem is collected with its key path and YAML line
(``topics.rl.keywords[2]: expected a string (line 14)``) and reported together; unknown keys
are warnings. Only ``yaml.safe_load`` semantics: tags such as ``!!python/object`` are refused.
"""

from ..model import EmailSettings, Highlights
from .lines import KeyPath, parse_yaml
from .loading import CONFIG_NAMES, config_from_text, find_config, is_example_url, load_config
from .sections import read_feedback, split_address
from .settings import Config, FetchSettings, SmtpSettings, SourceSpec
from .subscribers import subscriber_id

__all__ = [
    "CONFIG_NAMES",
    "Config",
    "EmailSettings",
    "FetchSettings",
    "Highlights",
    "KeyPath",
    "SmtpSettings",
    "SourceSpec",
    "config_from_text",
    "find_config",
    "is_example_url",
    "load_config",
    "parse_yaml",
    "read_feedback",
    "split_address",
    "subscriber_id",
]
