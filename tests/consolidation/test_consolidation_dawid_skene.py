import numpy as np
import pytest

from consolidation import dawid_skene, majority_vote, one_coin_dawid_skene
from consolidation.synthetic import from_confusions, honest_and_spammers


def _liar_crowd():
    # Tasks 0-5: three honest workers (0, 1, 2) and worker 3, who always gives the other class.
    # Task 6 is answered by the liar alone.
    truth = np.array([0, 1, 0, 1, 1, 0])
    task, worker, label = [], [], []
    for t, z in enumerate(truth):
        for w in range(3):
            task.append(t), worker.append(w), label.append(z)
        task.append(t), worker.append(3), label.append(1 - z)
    task.append(6), worker.append(3), label.append(1)
    return np.array(task), np.array(worker), np.array(label), truth


def test_unanimous_crowd_is_followed():
    # given three workers agreeing on every task
    task = np.repeat([0, 1, 2], 3)
    worker = np.tile([0, 1, 2], 3)
    label = np.repeat([1, 0, 2], 3)
    # when
    result = dawid_skene(task, worker, label, n_classes=3)
    # then
    assert result.labels.tolist() == [1, 0, 2]
    assert result.converged
    assert result.confidence.min() > 0.99
    assert result.method == "dawid_skene"


def test_single_answer_per_task_keeps_the_answer():
    # given one answer per task, each from a different worker
    label = np.array([0, 1, 2, 1])
    # when
    result = dawid_skene(np.arange(4), np.arange(4), label, n_classes=3)
    # then
    assert result.labels.tolist() == [0, 1, 2, 1]


def test_a_worker_who_always_lies_is_read_backwards():
    # given a consistent liar among honest workers
    task, worker, label, truth = _liar_crowd()
    # when
    result = dawid_skene(task, worker, label, n_classes=2)
    voted = majority_vote(task, worker, label, n_classes=2)
    # then the liar's confusion is the anti-diagonal, and the task only they answered is
    # flipped back (majority vote believes the lie)
    assert result.labels[:6].tolist() == truth.tolist()
    assert result.confusion[3, 0, 1] > 0.9 and result.confusion[3, 1, 0] > 0.9
    assert result.labels[6] == 0
    assert voted.labels[6] == 1


def test_gold_overrides_the_crowd():
    # given everyone answering 0 on task 0, whose gold label is 1
    task = [0, 0, 0, 1, 1, 1]
    worker = [0, 1, 2, 0, 1, 2]
    label = [0, 0, 0, 1, 1, 1]
    # when
    result = dawid_skene(task, worker, label, n_classes=2, gold=([0], [1]))
    # then
    assert result.labels[0] == 1
    assert result.confidence[0] == 1.0
    assert result.posteriors[0].tolist() == [0.0, 1.0]


def test_tasks_without_answers_are_uniform_and_flagged():
    # given five tasks of which 2 and 4 have no answers
    task = [0, 0, 1, 1, 3, 3]
    worker = [0, 1, 0, 1, 0, 1]
    label = [1, 1, 0, 0, 1, 1]
    # when
    result = dawid_skene(task, worker, label, n_classes=2, n_tasks=5)
    # then
    assert result.answered.tolist() == [True, True, False, True, False]
    assert result.posteriors[2].tolist() == [0.5, 0.5]
    assert result.labels[[2, 4]].tolist() == [0, 0]
    assert result.confidence[[2, 4]].tolist() == [0.5, 0.5]
    assert result.labels[[0, 1, 3]].tolist() == [1, 0, 1]


def test_no_answers_at_all():
    # given no answers for three tasks
    # when
    result = dawid_skene([], [], [], n_classes=2, n_tasks=3, n_workers=1)
    # then
    assert result.answered.tolist() == [False, False, False]
    assert result.n_iter == 0
    assert result.confusion.shape == (1, 2, 2)


def test_prior_counts_carry_reputation_across_jobs():
    # given a worker who answered only once, and a record from earlier jobs saying they lie
    record = np.zeros((2, 2, 2))
    record[0] = [[0.0, 100.0], [100.0, 0.0]]  # [truth, answer]
    # when
    trusted = dawid_skene([0], [0], [1], n_classes=2, n_workers=2)
    with_record = dawid_skene([0], [0], [1], n_classes=2, n_workers=2, worker_prior_counts=record)
    # then
    assert trusted.labels.tolist() == [1]
    assert with_record.labels.tolist() == [0]


def test_answer_order_does_not_matter():
    # given synthetic answers and a shuffled copy
    crowd = honest_and_spammers(np.random.default_rng(7), n_tasks=500, answers_per_task=5, n_classes=3, n_workers=40)
    order = np.random.default_rng(8).permutation(crowd.task.shape[0])
    # when
    grouped = dawid_skene(crowd.task, crowd.worker, crowd.label, n_classes=3)
    shuffled = dawid_skene(crowd.task[order], crowd.worker[order], crowd.label[order], n_classes=3)
    # then
    assert np.array_equal(grouped.labels, shuffled.labels)
    assert np.allclose(grouped.posteriors, shuffled.posteriors, atol=1e-5)
    assert grouped.n_iter == shuffled.n_iter


def test_iteration_cap_reports_not_converged():
    # given answers that need more than one EM iteration
    task, worker, label, _ = _liar_crowd()
    # when
    result = dawid_skene(task, worker, label, n_classes=2, max_iter=1)
    # then
    assert result.n_iter == 1
    assert not result.converged


def test_recovers_truth_and_confusions_from_the_model_it_assumes():
    # given 3,000 tasks drawn from the Dawid-Skene model: 30 workers with random confusions
    rng = np.random.default_rng(11)
    k = 3
    confusion = rng.dirichlet(np.ones(k), size=(30, k)) * 0.5
    confusion[:, np.arange(k), np.arange(k)] += 0.5
    crowd = from_confusions(rng, confusion=confusion, n_tasks=3000, answers_per_task=5)
    # when
    result = dawid_skene(crowd.task, crowd.worker, crowd.label, n_classes=k)
    one_coin = one_coin_dawid_skene(crowd.task, crowd.worker, crowd.label, n_classes=k)
    voted = majority_vote(crowd.task, crowd.worker, crowd.label, n_classes=k)
    # then: more accurate than voting, confusions within a few points, log-likelihood sane
    accuracy = (result.labels == crowd.truth).mean()
    assert accuracy > (voted.labels == crowd.truth).mean() + 0.02
    assert accuracy > 0.9
    assert (one_coin.labels == crowd.truth).mean() > (voted.labels == crowd.truth).mean()
    assert np.abs(result.confusion - confusion).mean() < 0.03
    assert result.converged and result.n_iter < 100
    assert -1.2 < result.log_likelihood < 0
    # and the posteriors of a correctly specified model are close to calibrated
    assert abs(result.confidence.mean() - accuracy) < 0.02


@pytest.mark.parametrize("n_classes", [2, 4])
def test_posteriors_are_distributions(n_classes):
    # given a synthetic crowd
    crowd = honest_and_spammers(
        np.random.default_rng(3),
        n_tasks=300,
        answers_per_task=3,
        n_classes=n_classes,
        n_workers=20,
    )
    # when
    result = dawid_skene(crowd.task, crowd.worker, crowd.label, n_classes=n_classes)
    # then
    assert np.allclose(result.posteriors.sum(axis=1), 1.0)
    assert np.allclose(result.confusion.sum(axis=2), 1.0)
    assert np.array_equal(result.labels, result.posteriors.argmax(axis=1))
    assert ((result.confidence >= 0) & (result.confidence <= 1)).all()
