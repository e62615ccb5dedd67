"""MTurk questions as a task type (``mturk_question``): the Question XML checked at posting and
handed to workers as an object, answers as flat string objects, and their QuestionFormAnswers
XML (marketplace/questions.py)."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest

from marketplace.models import Task
from marketplace.questions import ANSWERS_NAMESPACE, QuestionError, question_form_answers_xml, question_input
from tests.support.factories import client_with

pytestmark = pytest.mark.django_db

HTML_QUESTION = """<HTMLQuestion xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2011-11-11/HTMLQuestion.xsd">
  <HTMLContent><![CDATA[<!DOCTYPE html><html><head><title>Sentiment</title></head><body>
    <form name="mturk_form" method="post" id="mturk_form" action="https://www.mturk.com/mturk/externalSubmit">
      <input type="hidden" value="" name="assignmentId" id="assignmentId"/>
      <p>Is "I loved it" positive?</p>
      <label><input type="radio" name="sentiment" value="positive"> positive</label>
      <label><input type="radio" name="sentiment" value="negative"> negative</label>
      <textarea name="comment"></textarea>
      <input type="submit" id="submitButton" value="Submit">
    </form></body></html>]]></HTMLContent>
  <FrameHeight>450</FrameHeight>
</HTMLQuestion>"""
EXTERNAL_QUESTION = """<ExternalQuestion xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2006-07-14/ExternalQuestion.xsd">
  <ExternalURL>https://survey.example.com/hit?study=7</ExternalURL>
  <FrameHeight>0</FrameHeight>
</ExternalQuestion>"""
QUESTION_FORM = """<QuestionForm xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2017-11-06/QuestionForm.xsd">
  <Question>
    <QuestionIdentifier>color</QuestionIdentifier>
    <IsRequired>true</IsRequired>
    <QuestionContent><Text>Which color is the sky?</Text></QuestionContent>
    <AnswerSpecification><SelectionAnswer><StyleSuggestion>radiobutton</StyleSuggestion><Selections>
      <Selection><SelectionIdentifier>blue</SelectionIdentifier><Text>Blue</Text></Selection>
      <Selection><SelectionIdentifier>green</SelectionIdentifier><Text>Green</Text></Selection>
    </Selections></SelectionAnswer></AnswerSpecification>
  </Question>
  <Question>
    <QuestionIdentifier>why</QuestionIdentifier>
    <QuestionContent><Text>Why?</Text></QuestionContent>
    <AnswerSpecification><FreeTextAnswer/></AnswerSpecification>
  </Question>
</QuestionForm>"""


def test_an_html_question_becomes_the_object_workers_receive():
    shown = question_input(HTML_QUESTION)

    assert shown["question_type"] == "HTMLQuestion"
    assert shown["question"] == HTML_QUESTION
    assert shown["frame_height"] == 450
    assert shown["html"].startswith("<!DOCTYPE html><html><head><title>Sentiment</title>")
    assert 'name="sentiment"' in shown["html"]


def test_an_external_question_keeps_its_url_and_a_zero_height_means_the_default():
    assert question_input(EXTERNAL_QUESTION) == {
        "question_type": "ExternalQuestion",
        "question": EXTERNAL_QUESTION,
        "external_url": "https://survey.example.com/hit?study=7",
        "frame_height": 600,
    }


def test_a_question_form_lists_its_questions():
    assert question_input(QUESTION_FORM)["questions"] == [
        {
            "id": "color",
            "name": "",
            "text": "Which color is the sky?",
            "required": True,
            "kind": "selection",
            "multiple": False,
            "options": [{"id": "blue", "text": "Blue"}, {"id": "green", "text": "Green"}],
        },
        {"id": "why", "name": "", "text": "Why?", "required": False, "kind": "free_text"},
    ]


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        ('<!DOCTYPE x [<!ENTITY a "aaaa">]><HTMLQuestion><HTMLContent>&a;</HTMLContent></HTMLQuestion>', "DTD"),
        ('<!DOCTYPE x SYSTEM "file:///etc/passwd"><HTMLQuestion/>', "DTD"),
        ("<HTMLQuestion><HTMLContent>", "well-formed"),
        ("<Survey/>", "root element"),
        ("<HTMLQuestion><FrameHeight>1</FrameHeight></HTMLQuestion>", "HTMLContent"),
        ("<ExternalQuestion><ExternalURL>http://plain.example.com/</ExternalURL></ExternalQuestion>", "https"),
        ("<ExternalQuestion><ExternalURL>javascript:alert(1)</ExternalURL></ExternalQuestion>", "https"),
        ("<HTMLQuestion><HTMLContent>x</HTMLContent><FrameHeight>tall</FrameHeight></HTMLQuestion>", "FrameHeight"),
        ("<QuestionForm/>", "at least one Question"),
        ("", "non-empty"),
    ],
)
def test_questions_groundwork_cannot_show_are_refused(xml, message):
    with pytest.raises(QuestionError, match=message):
        question_input(xml)


def test_answers_become_question_form_answers_xml():
    xml = question_form_answers_xml({"sentiment": "positive", "comment": "<3 & more"})

    root = ElementTree.fromstring(xml)
    ns = {"q": ANSWERS_NAMESPACE}
    assert root.tag == f"{{{ANSWERS_NAMESPACE}}}QuestionFormAnswers"
    assert [
        (a.findtext("q:QuestionIdentifier", namespaces=ns), a.findtext("q:FreeText", namespaces=ns))
        for a in root.findall("q:Answer", ns)
    ] == [("comment", "<3 & more"), ("sentiment", "positive")]  # by field name


# --- over REST ---------------------------------------------------------------------------------


def post(requester, body):
    return client_with(requester.api_key).post("/api/v1/tasks", {"title": "q", "reward": "0.05", **body}, format="json")


def test_a_question_task_over_rest_reaches_the_worker_as_the_object(requester, make_worker):
    response = post(requester, {"task_type": "mturk_question", "input": {"question": HTML_QUESTION}})
    assert response.status_code == 201, response.content
    worker = make_worker()

    offered = worker.client.post("/api/v1/worker/tasks/next").json()

    assert offered["task_type"] == "mturk_question"
    assert offered["input"] == question_input(HTML_QUESTION)
    refused = worker.client.post(
        f"/api/v1/worker/assignments/{offered['assignment_id']}/submit",
        {"answer": {"sentiment": 1}},
        format="json",
    )
    assert refused.status_code == 400
    assert list(refused.json()["error"]["fields"]) == ["answer.sentiment"]
    accepted = worker.client.post(
        f"/api/v1/worker/assignments/{offered['assignment_id']}/submit",
        {"answer": {"sentiment": "positive", "comment": ""}},
        format="json",
    )
    assert accepted.status_code == 200, accepted.content


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (
            {"task_type": "mturk_question", "input": {"question": "<!DOCTYPE a><HTMLQuestion/>"}},
            {"input.question": ["must not declare a DTD or entities"]},
        ),
        (
            {"task_type": "mturk_question", "input": {"xml": HTML_QUESTION}},
            {"input": ['must be {"question": "<HTMLQuestion, ExternalQuestion or QuestionForm XML>"}']},
        ),
        (
            {"task_type": "mturk_question", "input": {"question": HTML_QUESTION}, "answer_schema": {"type": "object"}},
            {"answer_schema": ["must be left out: an mturk_question's answer is its form's fields, as strings"]},
        ),
    ],
)
def test_bad_question_tasks_name_the_field_and_post_nothing(requester, body, fields):
    response = post(requester, body)

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == fields
    assert Task.objects.count() == 0
