import torch

from builder.train.metrics import MetricAccumulator


def test_accuracy_per_class_and_confusion():
    metrics = MetricAccumulator(torch.device("cpu"), 3)
    labels = torch.tensor([0, 0, 1, 1, 1])
    predicted = torch.tensor([0, 1, 1, 1, 0])
    metrics.add(torch.tensor(2.0), 5, predicted, labels)
    metrics.add(torch.tensor(4.0), 5, predicted, labels)
    result = metrics.result()
    assert result.loss == 3.0 and result.samples == 10
    assert result.accuracy == 0.6
    assert result.per_class_accuracy == (0.5, 2 / 3, None)  # class 2 never appears
    assert result.confusion == ((2, 2, 0), (2, 4, 0), (0, 0, 0))


def test_loss_only_without_classes():
    metrics = MetricAccumulator(torch.device("cpu"), None)
    metrics.add(torch.tensor(1.5), 4)
    result = metrics.result()
    assert (result.loss, result.accuracy, result.confusion) == (1.5, None, None)
