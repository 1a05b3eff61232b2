import pytest
import torch

from livestyle.nets.upconv import NearestUpConv


@pytest.mark.parametrize("padding_mode", ["reflect", "zeros"])
@pytest.mark.parametrize("size", [(1, 1), (2, 3), (7, 5), (16, 24)])
def test_same_function_as_upsample_then_convolve(padding_mode, size):
    torch.manual_seed(0)
    up = NearestUpConv(5, 4, padding_mode)
    x = torch.randn(2, 5, *size)
    out = up(x)
    assert out.shape == (2, 4, 2 * size[0], 2 * size[1])
    torch.testing.assert_close(out, up.reference_forward(x), atol=1e-5, rtol=1e-5)


def test_same_gradients_as_the_definition():
    torch.manual_seed(1)
    up = NearestUpConv(3, 2)
    x = torch.randn(1, 3, 6, 8, requires_grad=True)
    grads = []
    for forward in (up.forward, up.reference_forward):
        up.zero_grad()
        x.grad = None
        (forward(x) * torch.linspace(-1, 1, 16 * 12).view(1, 1, 12, 16)).sum().backward()
        grads.append((x.grad.clone(), up.weight.grad.clone(), up.bias.grad.clone()))
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


def test_saved_weights_keep_a_plain_convolutions_names_and_shape():
    up = NearestUpConv(8, 3)
    assert {k: tuple(v.shape) for k, v in up.state_dict().items()} == {"weight": (3, 8, 3, 3), "bias": (3,)}


def test_only_paddings_with_an_exact_input_form():
    with pytest.raises(ValueError, match="padding mode"):
        NearestUpConv(3, 3, "circular")


def test_kept_kernels_follow_the_weight():
    torch.manual_seed(2)
    up = NearestUpConv(3, 2)
    x = torch.randn(1, 3, 5, 4)
    with torch.no_grad():
        first = up(x)
        up.weight.mul_(2.0)  # in place, as load_state_dict does
        torch.testing.assert_close(up(x), up.reference_forward(x), atol=1e-5, rtol=1e-5)
        assert not torch.allclose(up(x), first)
        up.bias.zero_()  # the bias alone
        torch.testing.assert_close(up(x), up.reference_forward(x), atol=1e-5, rtol=1e-5)
    with torch.inference_mode():
        torch.testing.assert_close(up.double()(x.double()), up.reference_forward(x.double()))


def test_weights_made_under_inference_mode():
    with torch.inference_mode():  # e.g. a network loaded inside inference_mode
        up = NearestUpConv(3, 2)
        x = torch.randn(1, 3, 5, 4)
        torch.testing.assert_close(up(x), up.reference_forward(x), atol=1e-5, rtol=1e-5)
        up.weight.mul_(0.5)
        torch.testing.assert_close(up(x), up.reference_forward(x), atol=1e-5, rtol=1e-5)
