"""Action items: behaviour on small conversations, and quality on the labelled sets."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from media.insight.actions import ActionItem, extract_action_items
from media.insight.due import find_due
from media.transcript import Utterance
from server.bench.actions import SETS, Miss, Scores, evaluate_set, score

THURSDAY = date(2026, 3, 12)


def _items(*lines: tuple[str, str]) -> list[ActionItem]:
    utterances = [Utterance(s, 4.0 * i, 4.0 * i + 3.0, t) for i, (s, t) in enumerate(lines)]
    return extract_action_items(
        utterances, names={"mentor": "Ana", "mentee": "Raj"}, session_date=THURSDAY
    )


def test_a_commitment_belongs_to_the_speaker_with_its_deadline() -> None:
    [item] = _items(("mentee", "I'll rewrite the summary slide by Friday."))
    assert item.owner == "mentee"
    assert item.action == "Rewrite the summary slide"
    assert item.due_phrase == "by Friday"
    assert item.due_date == date(2026, 3, 13)
    assert item.sources == (0,)
    assert 0.5 <= item.confidence <= 1.0


def test_an_accepted_request_belongs_to_the_other_person() -> None:
    [item] = _items(
        ("mentor", "Could you send me your reading list before our next session?"),
        ("mentee", "Sure, no problem."),
    )
    assert item.owner == "mentee"
    assert item.action == "Send Ana the reading list"
    assert item.due_phrase == "before our next session" and item.due_date is None
    assert item.sources == (0, 1)


def test_an_accepted_offer_is_one_item_owned_by_whoever_offered() -> None:
    items = _items(
        ("mentor", "I can introduce you to the data team lead if you like."),
        ("mentee", "Yes please, that would help a lot."),
        ("mentor", "Okay, I'll do that tomorrow."),
    )
    assert len(items) == 1
    assert items[0].owner == "mentor"
    assert items[0].action.startswith("Introduce Raj to the data team lead")
    assert items[0].due_date == date(2026, 3, 13)  # the later "tomorrow" attaches to it


def test_declined_offers_and_requests_are_not_items() -> None:
    assert (
        _items(
            ("mentor", "Do you want me to review your cover letter?"),
            ("mentee", "No need, my sister already did."),
        )
        == []
    )
    assert (
        _items(
            ("mentee", "Would you mind joining my demo on Tuesday?"),
            ("mentor", "Sorry, I have a conflict all Tuesday."),
        )
        == []
    )


def test_lets_belongs_to_both() -> None:
    [item] = _items(("mentor", "Let's meet again next Wednesday to go over the draft."))
    assert item.owner == "both"
    assert item.due_date == date(2026, 3, 18)


@pytest.mark.parametrize(
    "text",
    [
        "I usually review pull requests in two passes.",
        "I never forgot that advice.",
        "If I had more time I would learn Rust.",
        "A course can help later.",
        "My manager said I will need to present at the all-hands.",
        "I won't be able to make the offsite.",
        "Let me think about that for a second.",
        "Will you be at the conference next week?",
        "I'm gonna be honest with you, that talk was rough.",
        "I'm thinking maybe, if I get a good score next year, I'll apply.",
        "Okay. Then the conference we will skip, I think.",
    ],
)
def test_habits_memories_hypotheticals_and_advice_are_not_items(text: str) -> None:
    assert _items(("mentee", text), ("mentor", "Okay.")) == []


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("by Friday", date(2026, 3, 13)),
        ("tonight", THURSDAY),
        ("tomorrow morning", date(2026, 3, 13)),
        ("by next Tuesday", date(2026, 3, 17)),
        ("next week", date(2026, 3, 16)),
        ("by the end of the month", date(2026, 3, 31)),
        ("in two weeks", date(2026, 3, 26)),
        ("by March 20th", date(2026, 3, 20)),
        ("before our next session", None),
        ("by the sixteenth", date(2026, 3, 16)),
        ("by the fourth of April", date(2026, 4, 4)),
        ("by March thirty-first", date(2026, 3, 31)),
        ("Wednesday next week", date(2026, 3, 18)),
        ("by Thursday", date(2026, 3, 19)),  # said on a Thursday: next week's
    ],
)
def test_due_phrases_resolve_relative_to_the_session(phrase: str, expected: date | None) -> None:
    due = find_due(f"I will send it {phrase}.", THURSDAY)
    assert due is not None and due.phrase.lower() == phrase.lower()
    assert due.date == expected
    assert (
        find_due(f"I will send it {phrase}.", THURSDAY, next_session=date(2026, 3, 19)) is not None
    )


def test_next_session_date_resolves_session_deadlines() -> None:
    due = find_due("before our next session", THURSDAY, next_session=date(2026, 3, 19))
    assert due is not None and due.date == date(2026, 3, 19)


def test_an_announced_task_is_the_one_that_follows() -> None:
    [item] = _items(
        ("mentor", "Here's what I want you to do: pull up the salary data for that role tonight."),
        ("mentee", "Okay, will do."),
    )
    assert item.owner == "mentee"
    assert item.action == "Pull up the salary data for that role"
    assert item.due_date == THURSDAY


def test_work_split_in_one_sentence_goes_to_each_person() -> None:
    items = _items(
        ("mentor", "Let's do this: you write one page on the aims, and I'll send you comments."),
        ("mentee", "Sounds good."),
    )
    assert {(i.owner, i.action) for i in items} == {
        ("mentee", "Write one page on the aims"),
        ("mentor", "Send Raj comments on the page on the aims"),
    }


def test_a_recap_restates_items_without_adding_any() -> None:
    items = _items(
        ("mentor", "Could you draft the grant summary by Friday?"),
        ("mentee", "Sure."),
        ("mentor", "And I'll ask Dana about the lab budget."),
        ("mentee", "Great, thanks."),
        ("mentor", "So to recap: you draft the summary by Friday, I'll ask Dana about the budget."),
    )
    assert [(i.owner, i.sources[0]) for i in items] == [("mentee", 0), ("mentor", 2)]
    assert all(4 in i.sources for i in items)


def test_seeing_whether_is_a_task_not_a_condition() -> None:
    [item] = _items(
        ("mentor", "I'll see if our CFO can join a call with their finance lead."),
        ("mentee", "Oh, that would be huge."),
    )
    assert item.owner == "mentor"
    assert item.action.startswith("See if the CFO can join a call")


@pytest.mark.parametrize("path", [SETS["mentoring"], SETS["mentoring2"]], ids=["set1", "set2"])
def test_mentoring_sets_meet_the_targets(path: Path) -> None:
    scores, _ = evaluate_set(path)
    # Items are matched one to one (a task saved twice counts once wrong): a regression floor
    # below the targets the untuned sets are measured against in `tandem bench actions`.
    assert scores.precision >= 0.8
    assert scores.recall >= 0.85
    assert scores.owner_accuracy >= 0.9
    assert scores.usable_text >= 0.5


def test_in_turn_says_which_labels_their_own_turn_carries() -> None:
    conversation = {
        "id": "t",
        "names": {"mentor": "Ana", "mentee": "Raj"},
        "utterances": [
            {"speaker": "mentee", "text": "I'll send the budget sheet tonight."},
            {"speaker": "mentee", "text": "And I'll email her tomorrow."},
        ],
        "items": [
            {"source": 0, "owner": "mentee", "action": "Send Ana the budget sheet"},
            {"source": 1, "owner": "mentee", "action": "Email the recruiter about the offer"},
        ],
    }
    scores, misses = Scores(), list[Miss]()
    score(conversation, [], scores, misses)
    assert (scores.said_in_turn, scores.in_turn) == (1, 0.5)
    assert scores.false_negatives == 2 and len(misses) == 2


def test_held_out_set_does_not_regress() -> None:
    # Written by another author and never inspected while writing the rules: it measures
    # how the rules generalise. The floor only guards against regressions.
    scores, _ = evaluate_set(SETS["held-out"])
    assert scores.f1 >= 0.6
    assert scores.owner_accuracy >= 0.85


# -- wording: self-contained tasks, one per agreed task --------------------------------------
def test_a_pronoun_is_resolved_from_an_earlier_turn() -> None:
    [item] = _items(
        ("mentor", "How is the audit going?"),
        ("mentee", "Good, I finished the risk register yesterday."),
        ("mentor", "Great, can you send it over by Friday?"),
        ("mentee", "Sure."),
    )
    assert item.owner == "mentee"
    assert "risk register" in item.action and " it " not in f" {item.action} "
    assert item.due_date == date(2026, 3, 13)


def test_her_becomes_the_person_named_before() -> None:
    [item] = _items(
        ("mentor", "Dr Amara Obi runs the rota for the new ward."),
        ("mentee", "Okay, I'll ask her about the night shifts tomorrow."),
    )
    assert item.owner == "mentee"
    assert "Amara Obi" in item.action and "her" not in item.action.split()


def test_a_request_and_its_acceptance_are_one_item() -> None:
    items = _items(
        ("mentor", "Could you write down the failing steps and send them to me?"),
        ("mentee", "Yes, I'll send you the failing steps tomorrow."),
    )
    assert len(items) == 1, [i.action for i in items]
    [item] = items
    assert item.owner == "mentee" and item.sources == (0, 1)
    assert item.due_date == date(2026, 3, 13)
    assert "failing steps" in item.action and "the mentor the mentor" not in item.action


def test_questions_pleasantries_and_declined_requests_are_no_items() -> None:
    assert _items(("mentor", "What would you like to focus on today?")) == []
    assert (
        _items(
            ("mentor", "Could you present it at the offsite?"),
            ("mentee", "I'd rather not this time."),
        )
        == []
    )
    [item] = _items(
        ("mentee", "I'm going to apply for the team lead role."),
        ("mentor", "Go for it."),
    )
    assert item.action == "Apply for the team lead role" and item.owner == "mentee"


def test_the_owner_is_who_the_item_speaks_to() -> None:
    [item] = _items(("mentor", "I'll send you my old proposal tonight."))
    # The mentor's own possessive becomes "the"; the mentee is named.
    assert item.owner == "mentor"
    assert item.action == "Send Raj the old proposal"


@pytest.mark.parametrize(
    ("said", "due"),
    [
        ("early next week", date(2026, 3, 16)),  # the session is on Thursday 12 March
        ("by mid next week", date(2026, 3, 18)),
        ("by the end of next week", date(2026, 3, 20)),
        ("before the end of the quarter", date(2026, 3, 31)),
        ("by the end of next month", date(2026, 4, 30)),
        ("by the end of June", date(2026, 6, 30)),
        ("by the end of the week", date(2026, 3, 13)),
        ("this quarter", date(2026, 3, 31)),
        ("this year", date(2026, 12, 31)),
        ("next quarter", date(2026, 4, 1)),
        ("sometime next week", date(2026, 3, 16)),
    ],
)
def test_spans_of_time_resolve_to_their_last_or_named_day(said: str, due: date) -> None:
    found = find_due(f"I'll send it {said}.", THURSDAY)
    assert found is not None and found.phrase.lower().endswith(said.split(" ", 1)[-1].lower())
    assert found.date == due


def test_the_second_verb_of_a_commitment_is_the_speakers_too() -> None:
    items = _items(("mentor", "I'll dig out the onboarding checklist and email it to you today."))
    assert items and all(i.owner == "mentor" for i in items), items
    assert any("checklist" in i.action for i in items)


def test_standing_offers_and_managing_the_call_are_no_items() -> None:
    assert _items(("mentor", "Message me whenever you need, my door is always open.")) == []
    assert (
        _items(
            ("mentor", "If you ever want to, I could help you with the slides."),
            ("mentee", "Thanks, that's kind."),
        )
        == []
    )
    assert _items(("mentee", "Sorry, one second, let me just close the door.")) == []


def test_a_closing_recap_restates_and_adds_no_item() -> None:
    lines = [("mentor", "How is the budget going?"), ("mentee", "Slowly, I need help.")]
    lines += [("mentor", "I'll speak to Venkat in finance about the budget approval.")]
    lines += [("mentee", "Thank you, that helps a lot.")] * 3
    lines += [("mentor", "So, to sum up: I'll talk to Venkat. Anything else?")]
    items = _items(*lines)
    assert len(items) == 1 and items[0].sources[0] == 2, [i.action for i in items]


def test_an_offer_and_the_offerers_next_task_stay_two_items() -> None:
    items = _items(
        ("mentor", "I could do a mock interview with you next week, if that helps?"),
        ("mentee", "Yes please, that would be great."),
        ("mentor", "Cool. I'll send you a calendar invite."),
    )
    assert [i.owner for i in items] == ["mentor", "mentor"], [i.action for i in items]
    assert items[1].action == "Send Raj a calendar invite"


def test_what_i_would_like_you_to_do_is_the_task_itself() -> None:
    [item] = _items(
        ("mentor", "So what I'd like you to do is pull the ticket data for the bulk edit."),
        ("mentee", "Okay, will do."),
    )
    assert item.owner == "mentee" and item.action == "Pull the ticket data for the bulk edit"


def test_make_sure_with_a_clause_keeps_its_verb() -> None:
    [item] = _items(
        ("mentor", "Can you make sure the Baxter notes are fully up to date by Friday?"),
        ("mentee", "Yes, I will."),
    )
    assert item.action == "Make sure the Baxter notes are fully up to date"


def test_days_names_called_out_and_predicates_are_not_what_a_pronoun_means() -> None:
    # "her" is no weekday; "that one" is the ticket brought in, not the predicate "low risk";
    # a name called out at the start is the addressee, not the referent.
    [_outline, write] = _items(
        ("mentor", "You write the outline of the case study until Friday next week."),
        ("mentee", "Okay."),
        ("mentor", "Can you write to her this week?"),
        ("mentee", "Sure."),
    )
    assert "Friday" not in write.action
    [take] = _items(
        ("mentor", "There's the ticket to migrate the staging load balancers. It's low risk. "
                   "Why don't you take that one this sprint?"),
        ("mentee", "Yes, happy to."),
    )  # fmt: skip
    assert take.action.startswith("Take the ticket")
    items = _items(
        ("mentee", "I present the results to the board on Friday."),
        ("mentor", "Arre, you will be fine. Let's do one dry run before that."),
        ("mentee", "Thank you."),
    )
    assert [i.action for i in items if "dry run" in i.action] == ["Do one dry run"]


def test_a_bare_noun_takes_the_fuller_name_it_had_earlier() -> None:
    items = _items(
        ("mentee", "Design docs are new to me, I started a migration design doc last week."),
        ("mentor", "Good. Two more things on that."),
        ("mentor", "Send me the doc by Friday and I'll comment."),
        ("mentee", "Will do."),
    )
    [item] = [i for i in items if i.owner == "mentee"]
    assert item.action == "Send Ana the migration design doc"
    [item] = _items(
        ("mentee", "Onboarding guides are what I am writing this month."),
        ("mentor", "Send me the guides by Friday."),
        ("mentee", "Will do."),
    )
    assert item.action == "Send Ana the onboarding guides"  # the sentence's capital dropped


def test_the_verb_is_the_imperative_whatever_form_it_was_said_in() -> None:
    [offer] = _items(
        ("mentor", "Would it help if I sent you my old proposal?"),
        ("mentee", "Yes, that would help a lot."),
    )
    assert (offer.owner, offer.action) == ("mentor", "Send Raj the old proposal")  # not "Sent"
    [request] = _items(
        ("mentee", "Would you mind, um, being in the audience at my talk on Friday?"),
        ("mentor", "Sure, happy to."),
    )
    assert (request.owner, request.action) == ("mentor", "Be in the audience at Raj's talk")
    assert request.due_date == date(2026, 3, 13)


def test_a_removed_deadline_takes_its_preposition_along() -> None:
    [item] = _items(("mentor", "I will review the draft over the weekend."))
    assert item.action == "Review the draft"  # not "Review the draft over"
    assert item.due_phrase == "the weekend"


def test_her_is_a_person_not_a_product_or_a_site() -> None:
    [item] = _items(
        ("mentee", "I talked with Dana on LinkedIn yesterday."),
        ("mentee", "I will email her tomorrow morning."),
    )
    assert item.action == "Email Dana"  # LinkedIn came later, but is no one
    [item] = _items(
        ("mentee", "I saw the salary data on levels.fyi yesterday."),
        ("mentee", "I will email her tomorrow morning."),
    )
    assert item.action == "Email her"  # nobody named: better left than made up


def test_a_meeting_carries_what_it_is_for() -> None:
    [item] = _items(
        ("mentor", "Let us sit down on Friday when you are free and go through your portfolio "
                   "together."),
    )  # fmt: skip
    assert (item.owner, item.action) == ("both", "Sit down and go through Raj's portfolio together")
    assert item.due_date == date(2026, 3, 13)
    [item] = _items(("mentor", "Right, let's catch up again next week, see where the grant "
                               "application is at."))  # fmt: skip
    assert item.action == "Catch up again and see where the grant application is at"
    [item] = _items(("mentor", "Let's meet again next week."))
    assert item.action == "Meet again"  # nothing said about what for: nothing added


def test_an_aside_between_dashes_does_not_cut_the_task_in_two() -> None:
    [item] = _items(
        ("mentor", "I want you to pick two case studies \u2014 the onboarding one and this "
                   "export one \u2014 and write them up by Friday."),
        ("mentee", "Okay, will do."),
    )  # fmt: skip
    assert item.owner == "mentee"
    assert item.action == "Pick two case studies and write up the case studies"
    assert item.due_date == date(2026, 3, 13)


def test_a_suggestion_addressed_to_the_other_person_is_a_request() -> None:
    [item] = _items(
        ("mentor", "I propose you make a one-page summary of the interviews and share it "
                   "with the team by Friday."),
        ("mentee", "Okay, will do."),
    )  # fmt: skip
    assert item.owner == "mentee"
    assert item.action == (
        "Make a one-page summary of the interviews and share the one-page summary with the team"
    )
    assert item.due_date == date(2026, 3, 13)
    [item] = _items(
        ("mentor", "I'd suggest that you email the recruiter first."),
        ("mentee", "Good idea, I will."),
    )
    assert (item.owner, item.action) == ("mentee", "Email the recruiter first")
    # Declined, or only some day: no item.
    assert _items(("mentor", "I suggest you email her tomorrow."),
                  ("mentee", "I'd rather not, honestly.")) == []  # fmt: skip
    assert _items(("mentor", "I recommend you read Clean Code some day."),
                  ("mentee", "Sure.")) == []  # fmt: skip


def test_a_sprint_is_said_but_not_dated_and_leaves_the_task_text() -> None:
    [item] = _items(("mentor", "Could you take the migration ticket this sprint?"),
                    ("mentee", "Sure."))  # fmt: skip
    assert item.action == "Take the migration ticket"
    assert (item.due_phrase, item.due_date) == ("this sprint", None)


def test_a_request_pointing_at_a_thing_its_own_turn_names_is_a_new_item() -> None:
    # "That one" is the ticket just named: a new task for the mentee, not more of the
    # mentor's own item before it.
    items = _items(
        ("mentor", "I'll review the postmortem before the meeting."),
        ("mentee", "Thanks."),
        ("mentor", "Also, there is the ticket to migrate the load balancers. "
                   "Why don't you take that one?"),
        ("mentee", "Yes! I take it."),
    )  # fmt: skip
    assert [(i.owner, i.action, i.sources) for i in items] == [
        ("mentor", "Review the postmortem", (0,)),
        ("mentee", "Take the ticket to migrate the load balancers", (2, 3)),
    ]


def test_feedback_names_the_thing_handed_over_for_it() -> None:
    items = _items(
        ("mentee", "So I'll write a first draft of the abstract by next week."),
        ("mentor", "Send it to me when it's ready, I'll give you notes."),
        ("mentee", "Great, thanks."),
    )
    texts = {(i.owner, i.action) for i in items}
    assert ("mentor", "Give Raj notes on the first draft of the abstract") in texts
    # Writing a draft and sending it are two steps, not one said twice.
    assert ("mentee", "Send the first draft of the abstract to Ana") in texts
    [own] = _items(("mentor", "Can you send me the case study? And I'll give you proper feedback."))
    assert own.action == "Give Raj proper feedback on the case study"
    # Feedback already said to be on something, or on "those" notes, takes nothing more.
    [said] = _items(("mentor", "Send me the plan, and I'll give you feedback on the budget."))
    assert said.action == "Give Raj feedback on the budget"


def test_a_relative_clause_that_says_which_thing_stays() -> None:
    [item] = _items(
        ("mentor", "Can you write down three things you want to change about how the team runs?"),
        ("mentee", "Yes, I will."),
    )
    assert item.action == "Write down three things you want to change about how the team runs"
    [whose] = _items(("mentor", "I'll send you the checklist I use."))
    assert whose.action == "Send Raj the checklist"


def test_a_topic_said_first_and_the_first_of_several_are_named() -> None:
    [item] = _items(
        ("mentee", "For the migration script, I'll break it into two smaller scripts and test "
                   "the first one tomorrow."),
    )  # fmt: skip
    assert item.action.startswith("Break the migration script into two smaller")
    assert item.action.endswith("and test the first script")
    assert item.due_phrase == "tomorrow"


def test_a_pronoun_after_its_own_phrase_takes_that_phrase_thing() -> None:
    [item] = _items(
        ("mentor", "Choose three papers and summarize them for me by Friday."),
        ("mentee", "Okay."),
    )
    assert item.action == "Choose three papers and summarize the papers for Ana"
    [item] = _items(
        ("mentee", "Here is the cover letter draft."),
        ("mentor", "Thanks. Could you shorten it and send it back to me?"),
        ("mentee", "Will do."),
    )
    assert item.action == (
        "Shorten the cover letter draft and send the cover letter draft back to Ana"
    )


def test_a_list_said_right_after_the_task_is_what_it_holds() -> None:
    [item] = _items(
        ("mentor", "Could you write me a one-page brief before Monday? Only the budget, the "
                   "timeline and the risks."),
        ("mentee", "Sure."),
    )  # fmt: skip
    assert item.action == "Write Ana a one-page brief: the budget, the timeline and the risks"
    assert item.due_phrase == "before Monday"
    for aside in ("No rush, no pressure.", "At home, whatever.", "Just your notes."):
        [item] = _items(
            ("mentor", f"Could you write me a brief before Monday? {aside}"),
            ("mentee", "Sure."),
        )
        assert item.action == "Write Ana a brief"  # not a list of what it holds


def test_a_bare_draft_is_a_draft_of_the_writing_talked_about() -> None:
    found = _items(
        ("mentee", "The grant proposal is due at the end of the month."),
        ("mentor", "Okay. Send me the draft by Tuesday and we can go through it together on "
                   "Wednesday."),
        ("mentee", "Sounds good."),
    )  # fmt: skip
    assert [i.action for i in found] == [
        "Send Ana the draft of the grant proposal",
        "Go through the draft of the grant proposal together",
    ]
    [item] = _items(
        ("mentee", "The grant proposal is due soon."),
        ("mentor", "Send me the draft budget by Tuesday."),
        ("mentee", "Okay."),
    )
    assert item.action == "Send Ana the draft budget"  # it says what it is a draft of


def test_her_or_him_is_a_person_named_by_role_when_nobody_was_named() -> None:
    [item] = _items(
        ("mentee", "I still need to tell my landlord about the move."),
        ("mentor", "When?"),
        ("mentee", "I'll call her tonight."),
    )
    assert (item.action, item.due_phrase) == ("Call the landlord", "tonight")
    [item] = _items(
        ("mentee", "My old boss used to shout at people."),
        ("mentor", "Don't be that boss."),
        ("mentee", "I'll call him on Monday."),
    )
    assert item.action == "Call him"  # a past boss and what not to be are nobody to call


def test_a_name_that_starts_a_sentence_as_its_subject_is_a_person() -> None:
    [item] = _items(
        ("mentee", "Oh, the reference letter. Olga still has to sign it."),
        ("mentor", "Can you remind her this week?"),
        ("mentee", "Yes, will do."),
    )
    assert (item.owner, item.action) == ("mentee", "Remind Olga")
    [item] = _items(
        ("mentor", "Email's better than a call for this."),
        ("mentee", "Okay, I'll email her tomorrow."),
    )
    assert item.action == "Email her"  # "Email" is no one


def test_a_full_stop_inside_a_word_does_not_end_the_task() -> None:
    [item] = _items(
        ("mentor", "Check the salary data on glassdoor.com for that role tonight and write down "
                   "a figure you'd be comfortable with."),
        ("mentee", "Okay."),
    )  # fmt: skip
    assert item.action == (
        "Check the salary data on glassdoor.com for that role and write down a figure you "
        "would be comfortable with"  # the stranded "with" belongs to its clause
    )


def test_them_after_a_count_is_the_things_counted() -> None:
    [item] = _items(
        ("mentor", "How many annual leave days do you have left?"),
        ("mentee", "Maybe six."),
        ("mentor", "Book at least two of them before the holidays."),
        ("mentee", "Okay, I will."),
    )
    assert item.action.startswith("Book at least two of the annual leave days")
    [item] = _items(
        ("mentee", "I'm so tired lately, work, the move, everything."),
        ("mentor", "Let's check in on all this next week."),
        ("mentee", "Sure."),
    )
    assert item.action == "Check in on all this"  # the whole talk, not its last noun


def test_what_a_thing_is_for_says_which_it_is_and_particles_come_first() -> None:
    [item] = _items(
        ("mentor", "There's the form to request a parking permit."),
        ("mentor", "Could you fill that one out this week?"),
        ("mentee", "Yes."),
    )
    assert item.action == "Fill out the form to request a parking permit"
    found = _items(
        ("mentor", "Write the pitch by Friday, and then let's do a dry run together before you "
                   "present it."),
        ("mentee", "Great."),
    )  # fmt: skip
    assert [i.action for i in found] == ["Write the pitch", "Do a dry run of the pitch together"]


def test_what_is_filled_in_is_named_as_said_before() -> None:
    [offer, item] = _items(
        ("mentor", "Let me send you the onboarding checklist we use. Fill it in for your first "
                   "week, send it back by Friday."),
        ("mentee", "Okay, will do."),
    )  # fmt: skip
    assert (offer.owner, offer.action) == ("mentor", "Send Raj the onboarding checklist")
    assert item.owner == "mentee" and item.due_phrase == "by Friday"
    assert item.action.startswith("Fill in the onboarding checklist for the first week")


def test_a_tag_question_is_no_part_of_the_task() -> None:
    [item] = _items(
        ("mentor", "Why don't you try greeting them at the door, and noting how each lesson "
                   "starts, yeah?"),
        ("mentee", "Okay, I'll try that."),
    )  # fmt: skip
    assert not item.action.endswith(("yeah", ","))
    assert item.action.endswith("noting how each lesson starts")


def test_a_second_subject_after_a_hedged_clause_is_its_own_task() -> None:
    found = _items(
        ("mentor", "I'm going to ask Lena whether the budget is really frozen or if it's just a "
                   "delay, and then separately you should pull last year's spending figures."),
        ("mentee", "Yes, I can pull those."),
    )  # fmt: skip
    assert [(i.owner, i.action) for i in found] == [
        ("mentor", "Ask Lena whether the budget is frozen or if it is a delay"),
        ("mentee", "Pull last year's spending figures"),
    ]


def test_what_to_ask_stays_and_a_condition_goes() -> None:
    [item] = _items(("mentor", "Ask the supplier when they ship."), ("mentee", "Okay."))
    assert item.action == "Ask the supplier when they ship"
    [item] = _items(
        ("mentor", "Could you check whether the room is free on Friday, if it's no trouble?"),
        ("mentee", "Sure."),
    )
    assert item.action == "Check whether the room is free"  # not ", if it is no trouble"
    [item] = _items(("mentor", "Call me when you land."), ("mentee", "Will do."))
    assert item.action == "Call Ana"  # when, not what


def test_a_bare_number_after_a_time_word_is_a_time_of_day() -> None:
    [item] = _items(
        ("mentor", "How many weeks until the launch?"),
        ("mentee", "Three weeks."),
        ("mentor", "Okay. Can you stop answering email after eight?"),
        ("mentee", "I'll try, yes."),
    )
    assert item.action == "Stop answering email after eight"  # not "eight weeks"


def test_it_is_no_person_and_him_can_be_one_named_by_what_he_is() -> None:
    [item] = _items(
        ("mentor", "Get someone outside the field to read your cover letter."),
        ("mentee", "My flatmate is a journalist."),
        ("mentor", "Perfect. That's the ideal reader."),
        ("mentee", "Okay, I'll send it to him tonight."),
    )
    assert item.action == "Send the cover letter to the flatmate"


def test_what_you_will_receive_is_the_speakers_task_not_yours() -> None:
    found = _items(
        ("mentor", "I'll read the report tonight, so you'll have my notes by Friday."),
        ("mentee", "Thank you!"),
    )
    assert [(i.owner, i.action) for i in found] == [("mentor", "Read the report")]
    [item] = _items(("mentor", "You will need to get the form signed."), ("mentee", "Okay."))
    assert item.owner == "mentee"  # what they must get done stays theirs


def test_a_hyphenated_word_and_a_time_that_names_a_thing_stay_in_the_task() -> None:
    [item] = _items(
        ("mentee", "I'm going to write up a lessons-learned doc for next year's volunteers."),
    )
    assert item.action == "Write up a lessons-learned doc for next year's volunteers"
    assert item.due_phrase is None  # "next year's volunteers" is no deadline


def test_leaving_the_call_and_help_on_call_are_no_items() -> None:
    for lines in (
        [("mentor", "Okay, I have to run, I've got a meeting."), ("mentee", "Bye!")],
        [("mentor", "My door's always open. Call me if anything comes up before the launch."),
         ("mentee", "Thanks.")],
        [("mentor", "okay so what do you want to work on today"), ("mentee", "the budget")],
    ):  # fmt: skip
        assert _items(*lines) == []
    [item] = _items(("mentee", "I'll run the numbers tonight."))
    assert item.action == "Run the numbers"  # a task, not leaving


def test_a_possessive_time_names_a_thing_unless_a_deadline_leads_it() -> None:
    assert find_due("a doc for next year's committee", THURSDAY) is None
    due = find_due("check the levels before tomorrow's show", THURSDAY)
    assert due is not None and due.phrase == "before tomorrow's show"
    assert due.date == date(2026, 3, 13)


def test_a_day_said_after_a_week_narrows_it() -> None:
    [item] = _items(
        ("mentor", "Can you book a call with the printer next week? Like, by Tuesday."),
        ("mentee", "Yes, I will."),
    )
    assert (item.action, item.due_phrase) == ("Book a call with the printer", "by Tuesday")
    assert item.due_date == date(2026, 3, 17)


def test_it_is_the_thing_not_where_it_is_and_a_language_is_no_person() -> None:
    [item] = _items(
        ("mentee", "The torque wrench in bay two is reading low."),
        ("mentor", "Right, I'll send it off for calibration next week."),
        ("mentee", "Great."),
    )
    assert item.action == "Send off the torque wrench for calibration"
    [item] = _items(
        ("mentee", "My Spanish on the phone is not so good."),
        ("mentor", "You'll be fine. Call her this afternoon, obviously."),
        ("mentee", "Okay, I will."),
    )
    assert item.action == "Call her"  # not "Call Spanish", no "obviously"


def test_people_are_called_by_first_name_unless_a_title_leads() -> None:
    def action(names: dict[str, str]) -> str:
        utterances = [
            Utterance("mentor", 0.0, 3.0, "Could you send me the budget sheet by Friday?"),
            Utterance("mentee", 4.0, 6.0, "Sure."),
        ]
        [item] = extract_action_items(utterances, names=names, session_date=THURSDAY)
        return item.action

    assert action({"mentor": "Rosa Delgado", "mentee": "Hamid Rahimi"}) == (
        "Send Rosa the budget sheet"
    )
    assert action({"mentor": "Dr. Lin", "mentee": "Hamid"}) == "Send Dr. Lin the budget sheet"


@pytest.mark.parametrize(
    "reply",
    [
        "It's okay, my sister is an accountant, she already offered.",
        "its okay my sister already said she will do it",
        "I'd love to, but Saturdays I coach the under-nines.",
        "That sounds great, but I'm away that week.",
    ],
)
def test_a_yes_in_words_with_a_no_after_it_declines(reply: str) -> None:
    assert _items(("mentor", "I could look over your tax forms if you want."),
                  ("mentee", reply)) == []  # fmt: skip


def test_parking_a_topic_is_managing_the_call() -> None:
    assert _items(("mentor", "Let's park the budget for a moment and talk about hiring."),
                  ("mentee", "Sure.")) == []  # fmt: skip


def test_a_time_said_before_an_imperative_and_when_it_is_done() -> None:
    [item] = _items(
        ("mentor", "So for next week, try to keep every answer under a minute."),
        ("mentee", "Okay, I'll try."),
    )
    assert (item.owner, item.action) == ("mentee", "Keep every answer under a minute")
    assert item.due_phrase == "for next week"
    [item] = _items(
        ("mentee", "I'm writing up the lessons-learned document this week."),
        ("mentor", "Good. Then send it to Gloria once it's done."),
        ("mentee", "Yeah, I can do that."),
    )
    # "once it's done" says when, not whether: the yes makes it an item.
    assert (item.owner, item.action) == ("mentee", "Send the lessons-learned document to Gloria")


def test_one_and_them_all_and_a_numbered_thing() -> None:
    [item] = _items(
        ("mentee", "Some of the song durations in the playout system are wrong."),
        ("mentee", "I'll check them all tonight."),
    )
    assert item.action == "Check all the song durations"
    [item] = _items(
        ("mentor", "She wants a letter with the delivery times, I think."),
        ("mentee", "Yeah, I'll put one through her door tomorrow."),
    )
    assert item.action == "Put a letter through her door"
    [item] = _items(
        ("mentor", "How many weeks of recordings do you have?"),
        ("mentee", "Six weeks."),
        ("mentor", "Bring the recording of session five to supervision."),
        ("mentee", "Okay."),
    )
    assert item.action == "Bring the recording of session five to supervision"  # not "five weeks"


@pytest.mark.parametrize(
    "reply", ["Maybe. I'll see how I feel.", "Let me think about it.", "Not sure yet, we'll see."]
)
def test_an_undecided_answer_is_no_yes(reply: str) -> None:
    assert _items(("mentor", "If you want, we can do a practice run the day before."),
                  ("mentee", reply)) == []  # fmt: skip


def test_a_size_said_alone_is_not_what_it_points_at() -> None:
    [item] = _items(
        ("mentor", "Then what about a short proposal for the board? One page."),
        ("mentee", "Yes. I'll write it this week."),
    )
    assert item.action == "Write the short proposal"


def test_brilliant_is_a_yes_and_a_when_clause_may_lead_an_assignment() -> None:
    [item] = _items(
        ("mentor", "I can send you my revision notes from module two."),
        ("mentee", "Oh, that would be brilliant, yes please."),
    )
    assert (item.owner, item.action) == ("mentor", "Send Raj the revision notes from module two")
    [item] = _items(
        ("mentor", "And meanwhile, when the next audit comes in, you shadow me on it."),
        ("mentee", "Okay, deal."),
    )
    assert item.owner == "mentee" and item.action.startswith("Shadow Ana")


def test_a_present_tense_with_a_day_is_a_commitment() -> None:
    found = _items(("mentee", "I will call the client today, and I redo the brakes on Monday."))
    assert [(i.owner, i.action, i.due_date) for i in found] == [
        ("mentee", "Call the client", THURSDAY),
        ("mentee", "Redo the brakes", date(2026, 3, 16)),
    ]
    assert _items(("mentor", "Okay, recap: and I talk to Jonas about the demo.")) == []


def test_it_is_not_a_noun_of_its_own_phrase() -> None:
    [item] = _items(
        ("mentee", "The torque wrench in bay two, I think it needs calibration."),
        ("mentor", "Right, I'll send it off for calibration next week."),
        ("mentee", "Great."),
    )
    assert item.action == "Send off the torque wrench for calibration"


def test_advice_acknowledged_is_no_task_taken_on() -> None:
    assert _items(("mentor", "You should practise presenting a bit, it matters later."),
                  ("mentee", "Yes, I know, I know.")) == []  # fmt: skip


def test_a_relative_clause_with_what_it_was_for_says_which() -> None:
    [item] = _items(
        ("mentor", "Let me send you the template we used for the billing migration."),
        ("mentee", "Oh, that'd be great, thanks."),
    )
    assert item.action == "Send Raj the template used for the billing migration"


def test_a_false_start_and_a_month_are_read_as_meant() -> None:
    [item] = _items(
        ("mentor", "And I'll, um, I'll see if our CFO can join the call."),
        ("mentee", "That would help."),
    )
    assert item.action == "See if the CFO can join the call"
    assert _items(("mentee", "Yes, in May I think I will have enough data."),
                  ("mentor", "Good.")) == []  # fmt: skip
    [item] = _items(
        ("mentor", "um let me think i'll send you a list of good ones"),
        ("mentee", "oh thanks"),
    )
    assert (item.owner, item.action) == ("mentor", "Send Raj a list of good ones")
