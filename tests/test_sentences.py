"""Sentence breaks put back into turns a recogniser printed without punctuation."""

from __future__ import annotations

from datetime import date

from media.insight.actions import extract_action_items
from media.insight.sentences import joined, restore, with_apostrophes, with_breaks
from media.transcript import Utterance


def test_an_imperative_after_a_finished_clause_starts_a_sentence() -> None:
    assert with_breaks(
        "thanks for the slides i looked at them last night send me the final version by "
        "friday and i will forward it to the board"
    ) == (
        "thanks for the slides i looked at them last night. send me the final version by "
        "friday and i will forward it to the board"
    )
    assert with_breaks("so the invoices are late again call the supplier tomorrow") == (
        "so the invoices are late again. call the supplier tomorrow"
    )


def test_a_new_subject_with_a_modal_starts_a_sentence() -> None:
    assert with_breaks("okay i can do that i will email the venue tonight") == (
        "okay i can do that. i will email the venue tonight"
    )


def test_a_day_that_fixes_the_time_is_a_sentence_of_its_own() -> None:
    assert with_breaks("yes okay i'll do that thursday is fine for me") == (
        "yes okay i'll do that. thursday is fine for me"
    )


def test_verbs_that_belong_to_the_sentence_before_stay_in_it() -> None:
    for text in (
        "could you help me set up the projector before the talk",  # what "help me" asks
        "we talked about the budget last week and i think it was fine",
        "please repeat the test this week and show me the numbers on thursday",  # "and"
        "they might reorganise in spring so who knows which desk i'll even have",
        "ok send me the dates that work for you by friday",  # "that" is the verb's subject
        "have a word with dennis about whether the firm'll cover part of the fee",
    ):
        assert with_breaks(text) == text


def test_a_turn_with_punctuation_is_left_as_the_recogniser_said_it() -> None:
    assert restore(["Send me the draft, then we talk.", "ok"]) == [
        "Send me the draft, then we talk.",
        "ok",
    ]


def test_an_unpunctuated_turn_gives_each_of_its_tasks() -> None:
    utterances = [
        Utterance("mentor", 0.0, 6.0, "so the invoices are late again call the supplier "
                                      "tomorrow and ask when they ship"),
        Utterance("mentee", 6.0, 8.0, "okay i can do that i will email the venue tonight too"),
    ]  # fmt: skip
    items = extract_action_items(
        utterances, names={"mentor": "Ana", "mentee": "Raj"}, session_date=date(2026, 3, 12)
    )
    assert [(i.owner, i.action) for i in items] == [
        ("mentee", "Call the supplier and ask when they ship"),
        ("mentee", "Email the venue"),
    ]
    assert items[0].due_date == date(2026, 3, 13)


def test_contractions_printed_without_apostrophes_get_them_back() -> None:
    assert restore(["she knows me now ill ring her this afternoon and id like to help"]) == [
        "she knows me now i'll ring her this afternoon and i'd like to help"
    ]
    assert with_apostrophes("youd be well able for it lets both go through it theyd said") == (
        "you'd be well able for it let's both go through it they'd said"
    )
    for text in ("he was ill last week so lets see", "bring your id card", "it lets you skip",
                 "the app lets staff book rooms"):  # fmt: skip
        said = restore([text])[0]
        assert "i'll" not in said and "i'd" not in said and "it let's" not in said
    assert restore(["I'll ring her, ill as she is"]) == ["I'll ring her, ill as she is"]


def test_a_turn_without_apostrophes_still_gives_its_task() -> None:
    utterances = [
        Utterance("mentee", 0.0, 6.0, "honestly it should come from me ill ring her this "
                                      "afternoon about the noise"),
    ]  # fmt: skip
    [item] = extract_action_items(
        utterances, names={"mentor": "Ana", "mentee": "Raj"}, session_date=date(2026, 3, 12)
    )
    assert (item.owner, item.due_phrase) == ("mentee", "this afternoon")
    assert item.action.startswith("Ring her about the noise")


def test_a_condition_goes_with_what_it_conditions() -> None:
    assert with_breaks("i'll check the contract today and if there's no clause i'll call them") == (
        "i'll check the contract today. and if there's no clause i'll call them"
    )


def test_there_is_after_a_finished_clause_is_a_new_statement() -> None:
    assert with_breaks("could you book the first aid course there's one in march") == (
        "could you book the first aid course. there's one in march"
    )


def test_ill_is_i_will_unless_someone_is_ill() -> None:
    assert restore(["so ill catch it up by thursday"]) == ["so i'll catch it up by thursday"]
    for text in ("he was so ill that he left early", "i was really ill last week"):
        assert restore([text]) == [text]


def test_a_sentence_a_pause_cut_in_two_is_made_whole() -> None:
    parts = [
        Utterance("mentor", 0.0, 3.0, "And then could you put together a rough first"),
        Utterance("mentor", 3.4, 6.0, "draft? Just the problem statement and two options."),
        Utterance("mentee", 6.5, 8.0, "Yeah, I can do that."),
    ]
    whole = joined(parts)
    assert [u.text for u in whole] == [
        "And then could you put together a rough first draft? Just the problem statement and "
        "two options.",
        "",
        "Yeah, I can do that.",
    ]
    [item] = extract_action_items(parts, names={"mentor": "Ana", "mentee": "Raj"})
    assert item.action.startswith("Put together a rough first draft")
    assert item.sources == (0, 2)


def test_separate_sentences_and_other_speakers_stay_apart() -> None:
    parts = [
        Utterance("mentor", 0.0, 3.0, "Send me the deck."),
        Utterance("mentor", 3.2, 5.0, "then we talk"),  # a full stop before it
        Utterance("mentee", 5.2, 6.0, "and the budget"),  # the other person
        Utterance("mentee", 9.0, 10.0, "later on"),  # after a long pause
    ]
    assert joined(parts) == parts


def test_a_task_said_wholly_after_the_pause_keeps_its_own_part() -> None:
    parts = [
        Utterance("mentor", 0.0, 3.0, "We went through the budget and the"),
        Utterance("mentor", 3.3, 6.0, "schedule, so could you send me the minutes by Friday?"),
        Utterance("mentee", 6.5, 8.0, "Sure."),
    ]
    [item] = extract_action_items(
        parts, names={"mentor": "Ana", "mentee": "Raj"}, session_date=date(2026, 3, 12)
    )
    assert item.action == "Send Ana the minutes"
    assert item.sources == (1, 2) and item.start_s == 3.3


def test_each_task_after_a_pause_keeps_its_own_part_when_another_did_before_it() -> None:
    parts = [
        Utterance("mentor", 0.0, 3.0, "Okay, so the other thing about the match videos"),
        Utterance("mentor", 3.2, 6.0, "is that I'll send you the links tonight, and"),
        Utterance("mentor", 6.2, 9.0, "then I'm going to get you to run the review on Thursday."),
        Utterance("mentee", 10.0, 11.0, "Oh, okay, I'll do it."),
    ]  # fmt: skip
    found = extract_action_items(
        parts, names={"mentor": "Ana", "mentee": "Raj"}, session_date=date(2026, 3, 9)
    )
    assert [(i.sources, i.owner) for i in found] == [((1,), "mentor"), ((2, 3), "mentee")]
    assert found[1].start_s == 6.2  # where the request was said, not where the sentence began


def test_a_turn_cut_at_its_sentences_is_read_as_one_turn() -> None:
    def found(*parts: tuple[str, str]) -> list[tuple[str, str]]:
        said = [Utterance(s, 1.5 * i, 1.5 * i + 1.2, t) for i, (s, t) in enumerate(parts)]
        items = extract_action_items(
            said, names={"mentor": "Ana", "mentee": "Raj"}, session_date=date(2026, 3, 9)
        )
        return [(i.owner, i.action) for i in items]

    # Taken back in the next part of the turn.
    assert found(("mentor", "Oh, can you print the leaflets for the memory tree on Sunday?"),
                 ("mentor", "Ah, no, leave it."),
                 ("mentor", "The volunteers have done them already."),
                 ("mentee", "Oh, okay, great.")) == []  # fmt: skip
    # What needs doing, named in the part before.
    assert found(("mentor", "Now, your CEUs."),
                 ("mentor", "Those have got to be in to the board by the 31st."),
                 ("mentee", "I know. I'll do that by the 31st.")) == [
        ("mentee", "Get the CEUs in to the board")
    ]  # fmt: skip
    # The event to sit in on, named in the part before.
    parts = [("mentor", "And Dr Amin has a family meeting on Wednesday for Mrs Kaur."),
             ("mentor", "Let's both sit in."),
             ("mentee", "Yes, definitely.")]  # fmt: skip
    assert found(*parts) == [("both", "Sit in on the family meeting for Mrs Kaur")]
    said = [Utterance(s, 1.5 * i, 1.5 * i + 1.2, t) for i, (s, t) in enumerate(parts)]
    [item] = extract_action_items(said, session_date=date(2026, 3, 9))
    assert item.due_date == date(2026, 3, 11)  # the meeting's Wednesday


def test_lead_ins_and_statements_of_their_own_end_a_sentence() -> None:
    assert restore(["here's what i want you to do pull up the sales data for that region"]) == [
        "here's what i want you to do. pull up the sales data for that region"
    ]
    assert restore(["yes many people do so please repeat it with the new buffer"]) == [
        "yes many people do. so please repeat it with the new buffer"
    ]
    assert restore(["i'll send you the plans i use tonight they're on my laptop"]) == [
        "i'll send you the plans i use tonight. they're on my laptop"
    ]
    assert restore(["send me the plans they're using for the launch"]) == [
        "send me the plans they're using for the launch"
    ]


def test_a_clause_ending_in_an_adjective_is_finished_and_a_time_first_is_not() -> None:
    # (the "when" goes with what follows, as a condition does)
    assert with_breaks("send it to me when it's ready i'll give you notes") == (
        "send it to me. when it's ready i'll give you notes"
    )
    assert with_breaks("that's fair then send it to gloria once it's done") == (
        "that's fair. then send it to gloria once it's done"
    )
    # No verb yet, no sentence ended: the hedge stays with what it hedges.
    text = "maybe one day i will run that meeting myself"
    assert with_breaks(text) == text
    # A condition said well before its clause still goes with it.
    assert with_breaks("yes i'm thinking maybe if i get a good score next year i'll apply") == (
        "yes i'm thinking. maybe if i get a good score next year i'll apply"
    )


def test_a_plural_subject_and_its_verb_and_any_time_you_stay_together() -> None:
    text = "don't leave these to the last minute the courses fill up in spring"
    assert with_breaks(text) == text  # "fill" agrees with "the courses": no imperative
    assert with_breaks("send the files call me after") == "send the files. call me after"
    # A condition said first goes with what it conditions: a standing offer stays one.
    assert with_breaks("but look any time you want a second pair of eyes just send me a photo") == (
        "but look. any time you want a second pair of eyes just send me a photo"
    )


def test_a_hedge_stays_with_what_it_hedges() -> None:
    text = "i was thinking maybe we could do a proper walk through the town"
    assert with_breaks(text) == text


def test_well_before_a_verb_is_we_will() -> None:
    assert with_apostrophes("pull up the calls and well listen to them together") == (
        "pull up the calls and we'll listen to them together"
    )
    for text in ("it works well go ahead", "well done on the exam", "that went well thanks"):
        assert with_apostrophes(text) == text


def test_a_comment_opens_the_statement_after_an_opening_imperative() -> None:
    # The tagger reads "book" at a turn's start as a name; it is still the verb of a clause.
    assert with_breaks("book the renewal by the fifth honestly it's like two hours online") == (
        "book the renewal by the fifth. honestly it's like two hours online"
    )
    assert with_apostrophes("its like two hours") == "it's like two hours"


def test_what_the_speaker_is_doing_on_a_day_just_said_is_a_statement_of_its_own() -> None:
    assert with_breaks("yeah course lets do thursday i'm doing the tanking that day") == (
        "yeah course lets do thursday. i'm doing the tanking that day"
    )
    text = "could you send me the plans i'm using them tomorrow"
    assert with_breaks(text) == text  # "the plans i'm using": no day before it


def test_an_offer_asked_after_a_finished_clause_is_a_sentence_of_its_own() -> None:
    assert restore(["want me to introduce you ill email him tonight"]) == [
        "want me to introduce you. i'll email him tonight"
    ]
    assert with_breaks("so i can write that want me to do the witness statement for you") == (
        "so i can write that. want me to do the witness statement for you"
    )
    assert restore(["could you send me the sketch she gave you ill give you a number"]) == [
        "could you send me the sketch she gave you. i'll give you a number"
    ]
    for text in (
        "do you want me to send it over tonight",
        "do you actually want me to send it over tonight",
        "could you look over it before you send it",
    ):
        assert with_breaks(text) == text


def test_a_question_asked_after_a_finished_clause_is_a_sentence_of_its_own() -> None:
    assert with_breaks("lets try that can you have a bullet point version by tuesday") == (
        "lets try that. can you have a bullet point version by tuesday"
    )


def test_a_verb_the_tagger_took_for_a_noun_opens_a_sentence_before_its_object() -> None:
    # "a very dramatic fix" is how the tagger reads it; "fix it" is what was said
    assert with_breaks("the chart looks very dramatic fix it and send it back to me") == (
        "the chart looks very dramatic. fix it and send it back to me"
    )
    # but not before a pronoun that starts the next clause, nor inside a condition
    said = "it was the exact same fight it went on for a month"
    assert with_breaks(said) == said
    said = "any problem with a hybrid ring me even on a sunday"
    assert with_breaks(said) == said
