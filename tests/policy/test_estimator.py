"""Eq. 12-17: the estimator's policy gradient equals autograd's meta-gradient.
"""
import pytest
import torch
from torch import nn
from torch.func import functional_call

from ddas_mm.policy import DDASPolicy
from ddas_mm.policy.estimator import (ESTIMATORS, alignment, branch_weights,
                                      combine_gradients, equal_norm_alignment,
                                      get_estimator, gradient_normaliser,
                                      policy_gradients)

K, NUM_OPS, ETA = 6, 2, 0.1
POLICIES = torch.tensor([[0, 3], [5, 5], [2, 1]])  # fixed phi_1..phi_3


def _tiny_net():
    """A conv net without BatchNorm (the one-step update is then exact)."""
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(1, 4, 3), nn.Tanh(), nn.Flatten(),
        nn.Linear(4 * 6 * 6, 3)).double()


def _batches():
    """A clean batch, three different "augmented" copies and a val batch."""
    gen = torch.Generator().manual_seed(1)
    clean = torch.rand(5, 1, 8, 8, generator=gen, dtype=torch.float64)
    copies = [clean.flip(-1), clean.transpose(-1, -2), 1 - clean]
    labels = torch.randint(3, (5, ), generator=gen)
    val = torch.rand(7, 1, 8, 8, generator=gen, dtype=torch.float64)
    val_labels = torch.randint(3, (7, ), generator=gen)
    return [clean] + copies, labels, val, val_labels


def _loss(net, params, x, y):
    return nn.functional.cross_entropy(functional_call(net, params, (x, )), y)


def _flat_grads(net, params, x, y):
    grads = torch.autograd.grad(_loss(net, params, x, y), params.values())
    return torch.cat([g.reshape(-1) for g in grads])


def test_policy_gradient_matches_autograd_meta_gradient():
    net = _tiny_net()
    theta = {k: v.detach() for k, v in net.named_parameters()}
    theta = {k: v.requires_grad_() for k, v in theta.items()}
    inputs, labels, val, val_labels = _batches()
    policy = DDASPolicy(K, NUM_OPS, init_tp=0.35).double()
    with torch.no_grad():  # a non-uniform point, so every term matters
        policy.alpha_o.copy_(torch.linspace(-1, 1, K))
        policy.alpha_tp.fill_(0.2)

    # Independent computation: L_val(theta - eta * g(alpha)) with the
    # one-step SGD update kept in the graph (create_graph through g(alpha)).
    alpha_tp = policy.alpha_tp.detach().clone().requires_grad_()
    alpha_o = policy.alpha_o.detach().clone().requires_grad_()
    p_tp = torch.sigmoid(alpha_tp)
    p_phi = torch.softmax(alpha_o, 0)[POLICIES].prod(1)
    w = p_tp * p_phi / p_phi.sum().detach()
    per_branch = [
        torch.autograd.grad(
            _loss(net, theta, x, labels), theta.values(), create_graph=True)
        for x in inputs
    ]
    theta_next = {}
    for i, (name, value) in enumerate(theta.items()):
        g = (1 - w.sum()) * per_branch[0][i] + sum(
            w[b] * per_branch[b + 1][i] for b in range(len(w)))
        theta_next[name] = value - ETA * g
    meta = torch.autograd.grad(
        _loss(net, theta_next, val, val_labels), [alpha_tp, alpha_o])

    # The estimator: flattened branch gradients, a real SGD step, g_val.
    grads = torch.stack(
        [_flat_grads(net, theta, x, labels) for x in inputs])
    weights = branch_weights(policy.p_tp, policy.log_prob(POLICIES))
    g = combine_gradients(grads, weights)
    offsets = torch.tensor([0] + [p.numel() for p in theta.values()]).cumsum(0)
    stepped = {
        name: (value - ETA * g[offsets[i]:offsets[i + 1]].view_as(value)
               ).detach().requires_grad_()
        for i, (name, value) in enumerate(theta.items())
    }
    g_val = _flat_grads(net, stepped, val, val_labels)
    d = alignment(grads, g_val)
    grad_alpha_o, grad_alpha_tp = policy_gradients(d, 1.0, weights[1:],
                                                   POLICIES, policy.p_o,
                                                   policy.p_tp)

    torch.testing.assert_close(ETA * grad_alpha_tp, meta[0], rtol=1e-5,
                               atol=0)
    torch.testing.assert_close(ETA * grad_alpha_o, meta[1], rtol=1e-5,
                               atol=1e-12)
    assert meta[1].abs().min() > 1e-8  # every op's gradient was compared


def _unflatten(flat, like):
    """Split a flat vector into tensors shaped as the values of ``like``."""
    sizes = [v.numel() for v in like.values()]
    return [
        part.view_as(value)
        for part, value in zip(flat.split(sizes), like.values())
    ]


def test_equal_norm_alignment_is_the_meta_gradient_at_equal_norms():
    """eta * d_l is dL_val/dw_l of the look-ahead whose augmented gradients
    are rescaled to |g_0| (autograd through that one-step update)."""
    net = _tiny_net()
    theta = {k: v.detach().requires_grad_() for k, v in net.named_parameters()}
    inputs, labels, val, val_labels = _batches()
    # Copies of other contrast: gradients of other lengths.
    inputs = inputs[:1] + [
        x * scale for x, scale in zip(inputs[1:], (3.0, 0.3, 1.5))
    ]
    grads = torch.stack(
        [_flat_grads(net, theta, x, labels) for x in inputs])
    norms = grads.norm(dim=1)
    assert (norms[1:] / norms[0] - 1).abs().min() > 0.05  # norms differ

    w = torch.tensor([0.1, 0.15, 0.2], dtype=torch.float64,
                     requires_grad=True)
    step = (1 - w.sum()) * grads[0] + (
        w * norms[0] / norms[1:]) @ grads[1:]
    theta_next = {
        name: value.detach() - ETA * delta
        for (name, value), delta in zip(theta.items(),
                                        _unflatten(step, theta))
    }
    meta, = torch.autograd.grad(
        _loss(net, theta_next, val, val_labels), w)

    at_next = {k: v.detach().requires_grad_() for k, v in theta_next.items()}
    g_val = _flat_grads(net, at_next, val, val_labels)
    d = equal_norm_alignment(grads, g_val)
    torch.testing.assert_close(ETA * d, meta, rtol=1e-6, atol=1e-12)
    # The paper's d_l differs where the norms do.
    assert (alignment(grads, g_val) - d).abs().max() > 1e-3 * d.abs().max()


def test_equal_norm_alignment_ignores_gradient_length():
    """Scaling an augmented copy's gradient moves the paper's d_l but not
    the equal-norm one."""
    gen = torch.Generator().manual_seed(0)
    grads = torch.randn(4, 50, generator=gen, dtype=torch.float64)
    g_val = torch.randn(50, generator=gen, dtype=torch.float64)
    longer = grads.clone()
    longer[2] *= 3.0
    torch.testing.assert_close(
        equal_norm_alignment(longer, g_val), equal_norm_alignment(grads,
                                                                  g_val))
    assert not torch.allclose(alignment(longer, g_val), alignment(grads,
                                                                  g_val))


def test_unknown_estimator_is_refused_with_the_choices():
    assert get_estimator('paper') is alignment
    with pytest.raises(ValueError, match="one of " + str(sorted(ESTIMATORS))
                       .replace('[', r'\[').replace(']', r'\]')):
        get_estimator('cosine')


def test_branch_weights_eq12():
    policy = DDASPolicy(K, NUM_OPS, init_tp=0.35)
    weights = branch_weights(policy.p_tp, policy.log_prob(POLICIES))
    # Z normalises the sampled policies: the augmented weights sum to p_tp.
    assert weights[0].item() == pytest.approx(0.65, abs=1e-6)
    assert weights[1:].sum().item() == pytest.approx(0.35, abs=1e-6)
    # Uniform p_o: every sampled policy has the same weight.
    torch.testing.assert_close(weights[1:], torch.full((3, ), 0.35 / 3))


def test_normalised_policy_gradients_are_scale_free():
    """Eq. 15-17: scaling all gradients (e.g. an AMP loss scale) cancels."""
    policy = DDASPolicy(K, NUM_OPS)
    weights = branch_weights(policy.p_tp, policy.log_prob(POLICIES))
    d = torch.tensor([0.3, -1.2, 0.5])
    grads = [
        policy_gradients(d * scale, gradient_normaliser(d * scale),
                         weights[1:], POLICIES, policy.p_o, policy.p_tp)
        for scale in (1.0, 1024.0)
    ]
    torch.testing.assert_close(grads[0], grads[1])
    assert gradient_normaliser(d).item() == pytest.approx(2.0)
