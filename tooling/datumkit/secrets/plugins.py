"""detect-secrets plugins for the credentials most likely in an agent's trace: AI-provider keys.

detect-secrets 1.5 ships one OpenAI pattern (the ``T3BlbkFJ`` marker of older keys) and nothing
for Anthropic, Hugging Face, Google AI, Groq, xAI, Replicate, OpenRouter, Perplexity or
LangSmith. Each class here is an ordinary :class:`RegexBasedDetector` (detect-secrets' own plugin
API), so it runs through the same filters and could be handed to the ``detect-secrets`` CLI
with ``--plugin``.

Every pattern starts with the provider's fixed prefix, is not preceded by a token character (so
a prefix inside a longer word is not a key) and has only bounded repetitions: a regex here costs
time in proportion to the text it reads, however the text is built (see
``benchmarks/secrets_scan.py``). :class:`OpenAIKeyDetector` replaces detect-secrets' own
OpenAI plugin, whose unbounded ``sk-[A-Za-z0-9-_]*`` is quadratic on text dense in ``sk-``; it
keeps that plugin's kind name, so allowlist entries and placeholders stay the same.
"""

from __future__ import annotations

import re
from collections.abc import Generator

from detect_secrets.plugins.base import RegexBasedDetector
from detect_secrets.plugins.jwt import JwtTokenDetector

#: not preceded by a character a key could continue with
_START = r"(?<![A-Za-z0-9_-])"
#: not followed by one
_END = r"(?![A-Za-z0-9_-])"


def _key(body: str) -> re.Pattern[str]:
    """A key of (nearly) fixed length: also not followed by a key character."""
    return re.compile(_START + body + _END)


def _long(body: str) -> re.Pattern[str]:
    """A key of varying length: the repetition is greedy and bounded, never backtracked into,
    so a key longer than the bound is still found (its first part)."""
    return re.compile(_START + body)


class AIProviderDetector(RegexBasedDetector):
    """A key with a fixed prefix; ``literals`` (lower case) are what every match contains."""

    literals: tuple[str, ...] = ()


class OpenAIKeyDetector(AIProviderDetector):
    """OpenAI API keys: project (``sk-proj-``), service account (``sk-svcacct-``), admin
    (``sk-admin-``) and user keys, with or without the ``T3BlbkFJ`` marker of older keys."""

    secret_type = "OpenAI Token"
    literals = ("sk-",)
    denylist = (
        _long(r"sk-(?:proj|svcacct|admin|None)-[A-Za-z0-9_-]{20,300}"),
        _key(r"sk-(?:[A-Za-z0-9_-]{1,64}-)?[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}"),
    )


class AnthropicKeyDetector(AIProviderDetector):
    """Anthropic API (``sk-ant-api03-``), admin (``sk-ant-admin01-``) and other ``sk-ant-`` keys."""

    secret_type = "Anthropic API Key"
    literals = ("sk-ant-",)
    denylist = (_long(r"sk-ant-[a-z]{2,8}[0-9]{2}-[A-Za-z0-9_-]{20,300}"),)


class HuggingFaceTokenDetector(AIProviderDetector):
    """Hugging Face user (``hf_``) and organisation (``api_org_``) access tokens."""

    secret_type = "Hugging Face Token"
    literals = ("hf_", "api_org_")
    denylist = (_key(r"(?:hf_|api_org_)[A-Za-z0-9]{30,40}"),)


class GoogleApiKeyDetector(AIProviderDetector):
    """Google API keys (Gemini / Google AI Studio, Maps, Firebase): ``AIza`` and 35 characters."""

    secret_type = "Google API Key"
    literals = ("aiza",)
    denylist = (_key(r"AIza[0-9A-Za-z_-]{35}"),)


class GroqKeyDetector(AIProviderDetector):
    """Groq API keys: ``gsk_`` and 52 characters."""

    secret_type = "Groq API Key"
    literals = ("gsk_",)
    denylist = (_key(r"gsk_[A-Za-z0-9]{48,56}"),)


class XaiKeyDetector(AIProviderDetector):
    """xAI (Grok) API keys: ``xai-`` and 80 characters."""

    secret_type = "xAI API Key"
    literals = ("xai-",)
    denylist = (_key(r"xai-[A-Za-z0-9]{70,90}"),)


class ReplicateTokenDetector(AIProviderDetector):
    """Replicate API tokens: ``r8_`` and 37 characters."""

    secret_type = "Replicate API Token"
    literals = ("r8_",)
    denylist = (_key(r"r8_[A-Za-z0-9]{37}"),)


class OpenRouterKeyDetector(AIProviderDetector):
    """OpenRouter keys: ``sk-or-v1-`` and 64 hex digits."""

    secret_type = "OpenRouter API Key"
    literals = ("sk-or-v1-",)
    denylist = (_key(r"sk-or-v1-[0-9a-f]{64}"),)


class PerplexityKeyDetector(AIProviderDetector):
    """Perplexity API keys: ``pplx-`` and 48 characters."""

    secret_type = "Perplexity API Key"
    literals = ("pplx-",)
    denylist = (_key(r"pplx-[A-Za-z0-9]{40,56}"),)


class LangSmithKeyDetector(AIProviderDetector):
    """LangSmith personal (``lsv2_pt_``) and service (``lsv2_sk_``) keys."""

    secret_type = "LangSmith API Key"
    literals = ("lsv2_",)
    denylist = (_key(r"lsv2_(?:pt|sk)_[0-9a-f]{32}_[0-9a-f]{10}"),)


#: a character of a JWT part, as detect-secrets' JWT pattern has it
_JWT_CHAR = "[A-Za-z0-9-_=]"


class LinearJwtTokenDetector(JwtTokenDetector):
    """detect-secrets' JWT plugin, finding the same tokens in time linear in the text.

    Its pattern ``eyJ[...]+\\.[...]+\\.?[...]*?`` backtracks over the rest of a run of token
    characters from every ``eyJ`` in it, and again from the next ``eyJ`` (a line of
    ``eyJeyJ...`` is quadratic). A part of the pattern that runs up to a character outside its
    class can only end there, so the repetitions here are possessive, which matches the same
    text; and a run from which no token starts is skipped whole (every later ``eyJ`` in it
    reaches the same end), which finds the same matches in the same order. Candidates go
    through the plugin's own ``is_formally_valid``.
    """

    #: a list, as detect-secrets declares it
    denylist = [re.compile(rf"(eyJ{_JWT_CHAR}++\.{_JWT_CHAR}++\.?)|eyJ{_JWT_CHAR}*+")]  # noqa: RUF012

    def analyze_string(self, string: str) -> Generator[str, None, None]:
        for match in self.denylist[0].finditer(string):
            token = match[1]
            if token is not None and self.is_formally_valid(token):
                yield token


#: every plugin of this module, in the order they run
AI_PROVIDER_PLUGINS: tuple[type[AIProviderDetector], ...] = (
    OpenAIKeyDetector,
    AnthropicKeyDetector,
    HuggingFaceTokenDetector,
    GoogleApiKeyDetector,
    GroqKeyDetector,
    XaiKeyDetector,
    ReplicateTokenDetector,
    OpenRouterKeyDetector,
    PerplexityKeyDetector,
    LangSmithKeyDetector,
)
