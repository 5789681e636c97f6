# A small PyTorch workload for the GPU suite: matmuls, a convolution and
# elementwise ops, checked against the CPU so a probed run that changed
# results is caught.
import torch

torch.manual_seed(0)
dev = "cuda"
a = torch.randn(256, 512)
b = torch.randn(512, 128)
x = torch.randn(4, 3, 32, 32)
w = torch.randn(8, 3, 3, 3)

mm = (a.to(dev) @ b.to(dev)).cpu()
conv = torch.nn.functional.conv2d(x.to(dev), w.to(dev), padding=1).cpu()
ew = torch.relu(a.to(dev) * 2.0 + 1.0).sum(dim=1).cpu()
torch.cuda.synchronize()

assert torch.allclose(mm, a @ b, rtol=1e-3, atol=1e-3), "matmul differs"
assert torch.allclose(conv, torch.nn.functional.conv2d(x, w, padding=1), rtol=1e-3, atol=1e-3), "conv differs"
assert torch.allclose(ew, torch.relu(a * 2.0 + 1.0).sum(dim=1), rtol=1e-4, atol=1e-3), "elementwise differs"
print("torch_ops: ok")
