# ruff: noqa: RUF001 - Chinese prose: full-width punctuation
"""The demo's official profile, in English and Simplified Chinese."""

from __future__ import annotations

from datetime import date

VERIFIED_DOMAIN = "integrity.example.gov"
VERIFIED_SINCE = date(2024, 3, 1)

WORDS = {
    "en": {
        "name": "Demo Integrity Office",
        "short_name": "The public's anti-corruption watchdog",
        "verified_by": "the National Registry of Official Accounts",
        "introduction": """The Demo Integrity Office is an independent public body. We investigate corruption,
fraud with public money and abuse of office, and we help public bodies prevent them.

On this channel we publish our news, explain the law in plain words, and tell real cases
so that others can recognise wrongdoing early. Anyone can report to us in confidence,
without giving their name.""",
        "contact": """**Postal address:** Demo Integrity Office, 1 Civic Square, Capital City

**Press desk:** press@integrity.example.gov, working days 9:00–17:00

Please do **not** send reports to the press desk: use the confidential report form.""",
    },
    "zh-hans": {
        "name": "示范廉政公署",
        "short_name": "面向公众的反腐败监督机构",
        "verified_by": "国家政务账号登记中心",
        "introduction": """示范廉政公署是独立的公共机构，负责调查贪污腐败、侵占公款和滥用职权等行为，
并协助各公共机构预防此类问题。

我们在本频道发布工作动态，用通俗易懂的语言解读法律，并通报真实案例，帮助公众及早识别违法违纪行为。
任何人都可以匿名、保密地向我们举报。""",
        "contact": """**通信地址：** 首都市市民广场1号 示范廉政公署

**新闻联络：** press@integrity.example.gov，工作日 9:00–17:00

请**不要**向新闻联络邮箱发送举报材料，请使用保密举报表单。""",
    },
}
