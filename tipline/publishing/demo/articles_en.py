# ruff: noqa: E501 - prose
"""Demo articles in English."""

from __future__ import annotations

from typing import Any

ARTICLES: list[dict[str, Any]] = [
    {
        "key": "annual-report",
        "category": "news",
        "title": "Our annual report: 1,284 reports received, 97 cases opened",
        "summary": "Last year the public sent us more reports than ever. Here is what happened to them.",
        "tags": ["annual report", "statistics"],
        "cover": "chart",
        "featured": True,
        "days_ago": 3,
        "body": """Last year we received **1,284 reports**, a fifth more than the year before. Two thirds
came through the online form; most of them were sent without a name.

## What happened to the reports

- 97 led to a formal investigation;
- 212 were passed to the body responsible, with the reporter's agreement;
- the rest were assessed and closed, and every reporter who kept their receipt was told why.

![A bar chart: reports received each quarter rise from 280 to 362](image:chart)

## What we learned

Reports with documents, dates and places were three times more likely to lead to an
investigation. You do not need proof to report, but every detail helps.""",
    },
    {
        "key": "new-online-form",
        "category": "news",
        "title": "A new online form that works without JavaScript",
        "summary": "Our report form now works in any browser, including Tor Browser at its safest setting.",
        "tags": ["online form", "privacy"],
        "days_ago": 40,
        "body": """From today, the confidential report form works in every browser, with JavaScript switched
off, and loads nothing from any other website.

After sending, you receive a **16-digit receipt**. With it, and only with it, you can come
back to read our questions and answer them. We cannot recover a lost receipt: nobody here
knows it.""",
    },
    {
        "key": "what-is-a-conflict-of-interest",
        "category": "education",
        "title": "What is a conflict of interest?",
        "summary": "A conflict of interest is not wrongdoing in itself. Hiding it is. A short guide.",
        "tags": ["conflict of interest", "guide"],
        "featured": True,
        "days_ago": 10,
        "cover": "scales",
        "body": """A conflict of interest arises when an official's private interest could influence a decision
they take for the public: a contract awarded to a relative's company, a permit for a friend.

## What an official must do

1. **Declare** the interest in writing, before the decision.
2. **Step aside** from the decision.
3. **Keep a record** of who decided instead.

## When to report

Report when an official takes part in a decision that benefits them or people close to
them, without having declared it.""",
    },
    {
        "key": "gifts-and-hospitality",
        "category": "education",
        "title": "Gifts and hospitality: where is the line?",
        "summary": "A cup of coffee is fine. A holiday is not. Our rules of thumb for public servants.",
        "tags": ["gifts", "guide"],
        "days_ago": 70,
        "body": """Public servants may accept small tokens of courtesy. They may **not** accept anything that
could look like payment for a decision.

| Gift | Acceptable? |
|---|:---:|
| Coffee during a meeting | yes |
| A conference dinner open to all participants | usually |
| Tickets to a sports final | no |
| Cash or vouchers, of any amount | never |

When in doubt, decline politely and record the offer.""",
    },
    {
        "key": "case-road-contract",
        "category": "typical-cases",
        "title": "Case: a road contract split to avoid a tender",
        "summary": "A department head divided one road contract into eleven small ones, all won by his brother-in-law.",
        "tags": ["public procurement", "contracts"],
        "featured": True,
        "days_ago": 20,
        "cover": "road",
        "body": """This case is told with the names removed. It shows a pattern we see often: splitting a
contract so that each part stays under the threshold for a public tender.""",
        "case": {
            "what_happened": """Over four months, the head of a municipal roads department signed eleven contracts for
the repair of the same road, each just under the tender threshold. All eleven went to a
company owned by his brother-in-law, at prices 40% above the market.""",
            "how_noticed": """A clerk in the finance department noticed that the same company appeared eleven times in
the payment list, each time for a slightly different stretch of the same road. She
reported it through our online form, anonymously.""",
            "what_law_says": """Splitting a contract to avoid a tender is itself an offence under the Public Procurement
Act. Awarding contracts to a relative without declaring the link is an abuse of office.""",
            "how_to_report": """If you see the same supplier win many small contracts for one piece of work, report it.
Tell us the contract numbers and dates if you have them. [Start a report](/how-to-report/).""",
        },
    },
    {
        "key": "case-false-invoices",
        "category": "typical-cases",
        "title": "Case: invoices for training that never took place",
        "summary": "A training company billed a hospital for 60 courses. Nobody remembered attending one.",
        "tags": ["fraud", "health"],
        "days_ago": 95,
        "body": """A case of invoicing for services that were never delivered, found by a nurse.""",
        "case": {
            "what_happened": """A hospital paid a training company for sixty first-aid courses over two years. The courses
never took place; the attendance lists were forged.""",
            "how_noticed": """A nurse saw her own name on an attendance list for a course she never attended, and
reported it.""",
            "what_law_says": """Billing for services not delivered is fraud. The official who approved the invoices
without checking them may be liable for negligence in office.""",
            "how_to_report": """If you see your name, or a colleague's, on a document about something that never
happened, keep a copy if you can do so safely, and report it.""",
        },
    },
    {
        "key": "whistleblower-protection",
        "category": "law-explained",
        "title": "How the law protects people who report",
        "summary": "You cannot be dismissed, demoted or harassed for reporting in good faith. What that means in practice.",
        "tags": ["whistleblower protection", "law"],
        "days_ago": 30,
        "body": """The Whistleblower Protection Act protects anyone who reports wrongdoing in good faith,
whether they work in the public or the private sector.

## Retaliation is forbidden

Your employer may not dismiss you, demote you, cut your pay, move you against your will or
harass you because you reported. If they do, **the burden of proof is on them**: they must
show the measure had nothing to do with your report.

## Your identity is protected

We do not reveal who reported without their written consent, except where a court orders it.""",
    },
    {
        "key": "bribery-explained",
        "category": "law-explained",
        "title": "Bribery, explained: offering is as serious as accepting",
        "summary": "The Criminal Code punishes both sides of a bribe, and the promise of one.",
        "tags": ["bribery", "law"],
        "days_ago": 120,
        "body": """Bribery is offering, promising or giving an advantage to an official so that they act, or
fail to act, in their duties; and asking for or accepting such an advantage.

- The **promise** is enough: no money has to change hands.
- The advantage need not be money: a job for a relative, a favour, a trip.
- Both the person who offers and the official who accepts commit an offence.""",
    },
]
