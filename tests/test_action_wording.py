"""Action items worded as tasks a person can act on a week later: pronouns resolved from the
conversation, people named, filler dropped (media/insight/phrasing.py, references.py)."""

from __future__ import annotations

from datetime import date

from media.insight.actions import extract_action_items
from media.transcript import Utterance
from tests.action_helpers import THURSDAY
from tests.action_helpers import items as _items


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


def test_him_long_after_the_only_person_named_is_that_person() -> None:
    talk = [
        ("mentee", "Daniel left forty comments on my pull request."),
        ("mentor", "He writes like that with everyone."),
        ("mentee", "It still stings a bit."),
        ("mentor", "It would. Reviews are hard to read cold."),
        ("mentee", "I think I'll reply to each comment with a question."),
        ("mentor", "That sounds like a good way in."),
        ("mentor", "And I'm going to talk to him about tone at the retro next week."),
    ]
    found = [i for i in _items(*talk) if i.owner == "mentor"]
    assert [i.action for i in found] == ["Talk to Daniel about tone at the retro"]
    # With a second person named there is no telling whom "him" means: it stays.
    second = [("mentee", "Daniel and Oliver both reviewed my pull request."), *talk[1:]]
    [item] = [i for i in _items(*second) if i.owner == "mentor"]
    assert "Daniel" not in item.action and "Oliver" not in item.action


def test_the_owner_is_who_the_item_speaks_to() -> None:
    [item] = _items(("mentor", "I'll send you my old proposal tonight."))
    # The mentor's own possessive becomes "the"; the mentee is named.
    assert item.owner == "mentor"
    assert item.action == "Send Raj the old proposal"


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


def test_a_hyphenated_word_and_a_time_that_names_a_thing_stay_in_the_task() -> None:
    [item] = _items(
        ("mentee", "I'm going to write up a lessons-learned doc for next year's volunteers."),
    )
    assert item.action == "Write up a lessons-learned doc for next year's volunteers"
    assert item.due_phrase is None  # "next year's volunteers" is no deadline


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


def test_a_size_said_alone_is_not_what_it_points_at() -> None:
    [item] = _items(
        ("mentor", "Then what about a short proposal for the board? One page."),
        ("mentee", "Yes. I'll write it this week."),
    )
    assert item.action == "Write the short proposal"


def test_it_is_not_a_noun_of_its_own_phrase() -> None:
    [item] = _items(
        ("mentee", "The torque wrench in bay two, I think it needs calibration."),
        ("mentor", "Right, I'll send it off for calibration next week."),
        ("mentee", "Great."),
    )
    assert item.action == "Send off the torque wrench for calibration"


def test_a_relative_clause_with_what_it_was_for_says_which() -> None:
    [item] = _items(
        ("mentor", "Let me send you the template we used for the billing migration."),
        ("mentee", "Oh, that'd be great, thanks."),
    )
    assert item.action == "Send Raj the template used for the billing migration"


def test_it_is_neither_of_course_nor_the_person_something_goes_to() -> None:
    found = _items(
        ("mentor", "Could you draft the recovery letter and send it to Brenda?"),
        ("mentee", "Yes, of course, I'll send it to her first."),
        ("mentor", "Could you circulate a revised version to me and to Amir by Monday?"),
        ("mentee", "Yes. I will do it by Monday."),
        ("mentor", "Thank you. I'll then walk through it with the client team on Wednesday."),
    )
    texts = [i.action for i in found]
    assert not any("course" in t or "Amir with" in t for t in texts), texts
    assert "Walk through the revised version with the client team" in texts


def test_both_of_you_names_both_people() -> None:
    found = _items(
        ("mentor", "I know the coordinator, Mehmet. I can put you in touch with him."),
        ("mentee", "Oh, yes, please, that would be really helpful."),
        ("mentor", "Good. I will write to both of you together, so you have his address."),
    )
    assert [i.action for i in found] == [
        "Put Raj in touch with Mehmet",
        "Write to Raj and Mehmet together",
    ]
    # Nobody named with them: said as it was, never one of the two alone.
    [item] = _items(("mentor", "I will email you both tonight."))
    assert item.action == "Email you both"


def test_a_remark_is_no_referent_and_this_thing_said_again_is_the_thing() -> None:
    [item] = _items(
        ("mentee", "I found this issue about the encoding bug in the tracker."),
        ("mentor", "Has anyone claimed it?"),
        ("mentee", "Someone said they'd work on it, and then nothing."),
        ("mentor", "Ha, classic. Usually you can just comment and ask if it's still open."),
        ("mentee", "Okay. I'll comment on it today."),
    )
    assert item.action == "Comment on the issue"


def test_one_after_a_noun_it_says_more_of_is_another_thing() -> None:
    [item] = _items(
        ("mentee", "Oh, and the community meeting: could you send me the notes from the last "
                   "one? I want to know what the residents raised."),
        ("mentor", "Sure."),
    )  # fmt: skip
    assert item.action == "Send Raj the notes from the last meeting"


def test_a_yes_in_other_words_keeps_the_requests_wording() -> None:
    [item] = _items(("mentee", "Could you send me the details of the course?"),
                    ("mentor", "Yes, I'll dig out the link after this call."))  # fmt: skip
    assert (item.owner, item.action) == ("mentor", "Send Raj the details of the course")
    # A reflexive and a preposition left with no object say nothing to act on.
    assert _items(("mentee", "And I'll book myself on once I've squared the dates.")) == []


def test_it_is_no_one_named_nor_a_team() -> None:
    found = _items(
        ("mentee", "Gloria on the events committee asked for the lessons-learned doc."),
        ("mentor", "Then send it to Gloria once it's done, and let her take it to the board."),
        ("mentee", "Okay."),
    )
    assert not any("Gloria to Gloria" in i.action or "committee to" in i.action for i in found)
    [item] = _items(
        ("mentee", "Would you be able to look at my design doc before it goes to the team?"),
        ("mentor", "Sure, I'll look at it tomorrow."),
    )
    assert "design doc" in item.action and "team" not in item.action


def test_her_and_his_as_possessives_name_the_person_unless_the_phrase_already_does() -> None:
    found = _items(
        ("mentor", "Ms Harper is coming in on Saturday with the sapphire."),
        ("mentor", "And photograph the chip today, and put the photos in her file."),
        ("mentee", "Will do."),
    )
    assert found[0].action.endswith("put the photos in Ms Harper's file")
    [item] = _items(("mentor", "I'll ask Dr Murphy for her protocol."), ("mentee", "Thanks."))
    assert item.action == "Ask Dr Murphy for her protocol"


def test_a_feasts_day_is_no_deadline() -> None:
    [item] = _items(("mentor", "So can you send me your draft for Palm Sunday by Monday?"),
                    ("mentee", "Yes, that's fine."))  # fmt: skip
    assert (item.due_phrase, item.due_date) == ("by Monday", date(2026, 3, 16))
    assert "Palm Sunday" in item.action


def test_whom_a_thing_is_done_for_comes_after_it() -> None:
    [item] = _items(("mentor", "Could you book me a room for Friday?"), ("mentee", "Sure."))
    assert item.action == "Book a room for Ana"
    [item] = _items(("mentor", "Could you send me the deck?"), ("mentee", "Sure."))
    assert item.action == "Send Ana the deck"


def test_a_verb_agrees_with_its_reworded_subject() -> None:
    [item] = _items(("mentee", "I took photos of the pipe run."),
                    ("mentor", "I'll have a look before I'm out on the Brennan job."))  # fmt: skip
    assert item.action == "Have a look before you are out on the Brennan job"


def test_a_sentence_run_on_without_a_full_stop_is_no_part_of_the_task() -> None:
    # A recogniser's turn: the next sentence reads as a relative clause on the last noun.
    [item] = _items(("mentee", "could you send me the notes from the last meeting i want to "
                               "know what the residents raised"),
                    ("mentor", "sure"))  # fmt: skip
    assert item.action == "Send Raj the notes from the last meeting"
    # A relative clause with its gap stays: the one shown is the cheat sheet.
    [item] = _items(("mentee", "could you send me the cheat sheet the one you showed me at the "
                               "console"),
                    ("mentor", "yes of course"))  # fmt: skip
    assert item.action.endswith("the one you showed Raj at the console")


def test_a_joiner_whose_clause_was_dropped_is_dropped_too() -> None:
    [item] = _items(("mentor", "speaking of torque the hydraulic wrench is due its calibration"),
                    ("mentor", "can you get it booked in with hytorc before the end of the month "
                               "otherwise the certificate lapses"),
                    ("mentee", "yep ill sort that"))  # fmt: skip
    assert not item.action.endswith("otherwise"), item.action


def test_what_something_is_said_to_be_is_no_thing_a_pronoun_stands_for() -> None:
    [item] = _items(
        ("mentee", "I finished the risk register yesterday."),
        ("mentor", "Great. That's a separate conversation."),
        ("mentor", "Can you send it over by Friday?"),
        ("mentee", "Sure."),
    )
    assert item.action == "Send the risk register"


def test_a_possessive_said_before_stays_joined_to_its_noun() -> None:
    [item] = _items(
        ("mentee", "I found my kiln's manual in the shed."),
        ("mentor", "Great, can you bring it on Friday?"),
        ("mentee", "Sure."),
    )
    assert item.action == "Bring the kiln's manual"


def test_a_name_with_a_preposition_inside_is_one_thing_and_a_particle_stays() -> None:
    found = _items(
        ("mentee", "I'll text you my kiln's model number as soon as we hang up."),
        ("mentor", "Great."),
        ("mentee", "The other thing. The Ceramics in the Park fair, in August. Applications "
                   "close on the twentieth, and I keep putting it off."),
        ("mentor", "Put it in today. Don't let it sit another week."),
        ("mentee", "Okay, I will."),
    )  # fmt: skip
    [item] = [i for i in found if i.sources[0] == 3]
    assert item.action == "Put in the Ceramics in the Park fair"
    assert item.due_phrase == "today"


def test_a_day_inside_a_longer_word_stays_in_the_text() -> None:
    [item] = _items(("mentor", "lets do the tastings wednesdays at four starting next wednesday"),
                    ("mentee", "yes lets do that"))  # fmt: skip
    assert "wednesdays" in item.action and " s " not in f" {item.action} "


def test_a_topic_named_before_the_request_is_its_thing_without_the_lead_in() -> None:
    [item] = _items(("mentor", "aye so the other thing the collection trip report from orkney "
                               "id like you to write that up for the newsletter"),
                    ("mentee", "can i do it after the germination stuff like mid november"),
                    ("mentor", "mid november is fine"),
                    ("mentee", "ok"))  # fmt: skip
    assert item.action == "Write up the collection trip report for the newsletter"
    assert item.sources == (0, 3)


def test_a_bare_go_goes_to_what_was_just_named() -> None:
    [item] = _items(
        ("mentor", "I'll dig it out. And the moderation meeting at Beecroft, Wednesday after "
                   "school. Let's both go, it's good experience for you."),
        ("mentee", "Yeah, I'd like that."),
    )  # fmt: skip
    assert item.action == "Go to the moderation meeting at Beecroft after school"
    assert (item.owner, item.due_date) == ("both", date(2026, 3, 18))  # its Wednesday
    [item] = _items(("mentor", "And the open day at the college on Saturday. Do you want to come "
                              "along?"),
                   ("mentee", "Yes, I'd love to."))  # fmt: skip
    assert item.action == "Come along to the open day at the college"
    assert _items(("mentor", "It went well. Let's go."), ("mentee", "Okay.")) == []
    [item] = _items(("mentor", "And Dr Amin has a family meeting on Wednesday for Mrs Kaur. "
                               "Let's both sit in."),
                    ("mentee", "Yes please."))  # fmt: skip
    assert item.action == "Sit in on the family meeting for Mrs Kaur"
    assert item.due_date == date(2026, 3, 18)


def test_whom_a_task_was_said_to_is_no_part_of_it() -> None:
    [item] = _items(("mentee", "i will file the appeal maam i have the format"))
    assert item.action == "File the appeal"
    [item] = _items(("mentee", "I'll send you the report tonight sir"))
    assert item.action == "Send Ana the report"
    [item] = _items(("mentor", "Send me the rota tonight, mate."), ("mentee", "Will do."))
    assert item.action == "Send Ana the rota"
    # Not the words of the task that merely end like one.
    [item] = _items(("mentor", "Can you send my love to the team?"), ("mentee", "Sure."))
    assert item.action.endswith("love to the team")


def test_a_by_misheard_as_my_before_a_day_leaves_no_possessive() -> None:
    said = [Utterance("mentor", 0.0, 4.0, "Can you have the plan to me my Tuesday?"),
            Utterance("mentee", 5.0, 6.0, "Yes.")]  # fmt: skip
    [item] = extract_action_items(said, session_date=THURSDAY)  # no names: a recording
    assert (item.action, item.due_date) == ("Have the plan to the mentor", date(2026, 3, 17))


def test_words_that_only_look_like_a_person_or_a_thing_stay_as_said() -> None:
    [item] = _items(("mentor", "I'll talk to the mine manager on Monday about the next course."))
    assert item.action == "Talk to the mine manager about the next course"
    [item] = _items(("mentor", "i will check with legal today itself"))
    assert (item.action, item.due_date) == ("Check with legal", THURSDAY)
    # A season is when, not what: "it" is the dictionary.
    [item] = _items(("mentor", "I've got a job dictionary from a depo I did last spring. Want "
                               "me to send it to you?"),
                    ("mentee", "Yes please."))  # fmt: skip
    assert item.action == "Send the job dictionary to Raj"


def test_a_yes_or_a_mine_is_no_thing_a_pronoun_stands_for() -> None:
    [item] = _items(("mentee", "And my medical form runs out in April."),
                    ("mentor", "Aye, it does. Can you get that signed this week?"),
                    ("mentee", "Aye."))  # fmt: skip
    assert item.action == "Get the medical form signed"
    [item] = _items(("mentee", "I need the new lanyard. Mine broke."),
                    ("mentor", "Okay, I'll order one for you tonight."))  # fmt: skip
    assert "mine" not in item.action.lower()


def test_asked_whether_they_want_to_borrow_a_thing_the_speaker_lends_it() -> None:
    [item] = _items(("mentor", "I've got my old annotated score of the Messiah. Do you want to "
                               "borrow it?"),
                    ("mentee", "Oh, yes please!"))  # fmt: skip
    assert item.owner == "mentor"
    assert item.action == "Lend the old annotated score of the Messiah to Raj"
    # Asked for by the other person, the thing is lent just the same: no task of theirs.
    assert _items(("mentee", "Could I borrow your notes from the course?"),
                  ("mentor", "Sure.")) == []  # fmt: skip


def test_a_verb_alone_is_no_task_unless_its_thing_was_just_said() -> None:
    found = _items(
        ("mentor", "Judge Harlan's got calendar call Monday morning. Let's both sit in, and "
                   "we'll compare after."),
        ("mentee", "Yes please."),
    )  # fmt: skip
    assert "Compare" not in [i.action for i in found]
    found = _items(
        ("mentor", "i was thinking you could also present the gratuity results to the client on "
                   "the call on the twenty fifth"),
        ("mentee", "sir if you dont mind id rather not this time"),
        ("mentor", "ok fine no pressure i will present on the twenty fifth"),
    )  # fmt: skip
    assert [(i.owner, i.action) for i in found] == [
        ("mentor", "Present the gratuity results to the client")
    ]


def test_a_particle_and_a_participle_stay_when_one_stands_for_a_thing() -> None:
    [item] = _items(
        ("mentor", "You might want to set up a shared reading list for the cohort."),
        ("mentee", "Oh, good idea. I'll set one up on Monday."),
    )
    assert item.owner == "mentee"
    assert item.action == "Set up a shared reading list"


def test_what_the_speaker_has_got_is_what_it_stands_for_not_its_contents() -> None:
    [item] = _items(
        ("mentor", "I've got a pricing worksheet from my agency days, net margin and day "
                   "rate and everything. Shall I send it to you?"),
        ("mentee", "Yes please."),
    )  # fmt: skip
    assert item.action == "Send the pricing worksheet to Raj"


def test_a_topic_named_alone_is_what_a_later_it_stands_for() -> None:
    [item] = _items(
        ("mentor", "And the budget summary you were drafting, for the autumn term?"),
        ("mentee", "Nearly there."),
        ("mentor", "Send it over when it's done, by Friday?"),
        ("mentee", "Will do."),
    )
    assert item.action == "Send over the budget summary"


def test_an_amount_said_as_a_noun_or_a_name_called_out_is_no_thing() -> None:
    [item] = _items(
        ("mentor", "Now, the style guidelines. They've changed heaps since spring. Let's both "
                   "sit down on Tuesday and go through them."),
        ("mentee", "Sure."),
    )  # fmt: skip
    assert item.action == "Sit down and go through the style guidelines"
    [item] = _items(
        ("mentor", "Right, sam, your first aid refresher. That has to be done before the "
                   "fifteenth."),
        ("mentee", "I'll book it today."),
    )  # fmt: skip
    assert "sam" not in item.action.lower() and "first aid refresher" in item.action


def test_the_two_of_us_is_said_by_the_owners_and_a_day_may_be_the_object() -> None:
    [item] = _items(
        ("mentor", "Let's block out Friday afternoon, just the two of us, and rehearse the "
                   "pitch."),
        ("mentee", "Yes, Friday works."),
    )  # fmt: skip
    assert item.owner == "both"
    assert item.action == "Block out Friday afternoon, and rehearse the pitch"
    assert item.due_date == date(2026, 3, 13)


def test_what_is_done_at_once_in_the_call_is_no_task() -> None:
    assert _items(("mentee", "Sorry, one second, let me close the door. Okay, I'm back.")) == []
    [item] = _items(
        ("mentor", "So do one thing, rewrite the opening and send it to me by Monday."),
        ("mentee", "Okay, I will."),
    )
    assert item.action == "Rewrite the opening and send the opening to Ana"


def test_an_introduction_offered_names_whom_to_from_what_was_just_said() -> None:
    [item] = _items(("mentor", "There's Maya Okafor, she runs the evening clinic. I could "
                               "introduce you if you like."),
                    ("mentee", "Yes please."))  # fmt: skip
    assert (item.owner, item.action) == ("mentor", "Introduce Raj to Maya Okafor")
    [item] = _items(("mentor", "Have you met Tomas from finance? I can connect you if you want."),
                    ("mentee", "That would be great."))  # fmt: skip
    assert item.action == "Connect Raj with Tomas"
    [item] = _items(("mentor", "I can introduce you to the data team lead if you like."),
                    ("mentee", "Yes please."))  # fmt: skip
    assert item.action == "Introduce Raj to the data team lead"


def test_a_copy_is_a_copy_of_the_thing_just_named() -> None:
    [item] = _items(("mentor", "I've a packing list I use before every trip. I could email you "
                               "a copy tonight, if that's any use?"),
                    ("mentee", "Yes please."))  # fmt: skip
    assert item.action == "Email Raj a copy of the packing list"
    [item] = _items(("mentor", "Could you send me a copy of your CV?"), ("mentee", "Sure."))
    assert item.action == "Send Ana a copy of the CV"


def test_them_reached_may_be_a_group_said_as_one_nearby() -> None:
    [item] = _items(("mentor", "Did you talk to the data team?"), ("mentee", "Not yet."),
                    ("mentor", "Can you set up a meeting with them by Friday?"),
                    ("mentee", "Sure."))  # fmt: skip
    assert item.action == "Set up a meeting with the data team"
    [item] = _items(("mentor", "Might be worth giving the helpline a bell, you know? It helps."),
                    ("mentee", "Yeah, I will. I'll ring them this arvo."))  # fmt: skip
    assert (item.action, item.due_date) == ("Ring the helpline", THURSDAY)
    # Things are no group: "them" checked are the slides, not the team.
    [item] = _items(("mentor", "I've drafted the slides for the team. Can you check them by "
                               "Friday?"), ("mentee", "Sure."))  # fmt: skip
    assert item.action == "Check the slides"


def test_a_saying_of_advice_is_no_task_but_taking_care_of_a_thing_is() -> None:
    assert _items(("mentor", "Pick your battles, love, honestly."), ("mentee", "Yeah.")) == []
    assert _items(("mentor", "Go easy on yourself this week."), ("mentee", "I will.")) == []
    [item] = _items(("mentor", "Could you take care of the invoice by Friday?"),
                    ("mentee", "Sure."))  # fmt: skip
    assert item.action == "Take care of the invoice"
