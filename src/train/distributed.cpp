#include "train/distributed.h"

#include <cerrno>
#include <cstdlib>
#include <functional>

#include "util/error.h"

#if SS_HAVE_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif

namespace ss::train {
namespace {

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? v : nullptr;
}

// An integer variable in [min, max]; `fallback` when unset and not required.
int env_int(const char* name, int min, int max, bool required, int fallback) {
  const char* v = env(name);
  const std::string range = "an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]";
  if (!v) {
    if (required) throw Error(std::string(name) + ": not set (expected " + range + ", as torchrun sets it)");
    return fallback;
  }
  char* end = nullptr;
  errno = 0;
  const long x = std::strtol(v, &end, 10);
  if (errno != 0 || end == v || *end != '\0' || x < min || x > max)
    throw Error(std::string(name) + ": expected " + range + ", got '" + v + "'");
  return static_cast<int>(x);
}

// The first line of an exception's message (c10::Error appends a C++ backtrace).
std::string first_line(const std::exception& e) {
#if SS_HAVE_GLOO
  if (const auto* c = dynamic_cast<const c10::Error*>(&e)) return first_line(std::runtime_error(c->what_without_backtrace()));
#endif
  const std::string s = e.what();
  return s.substr(0, s.find('\n'));
}

}  // namespace

#if SS_HAVE_GLOO
struct Distributed::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
  std::string endpoint;  // "MASTER_ADDR:MASTER_PORT (host:port)", for messages
  std::chrono::milliseconds timeout;

  // Runs one collective to completion; failures (a dead peer, the timeout) become one-line errors.
  void run(const std::string& what, const std::function<c10::intrusive_ptr<c10d::Work>()>& start) const {
    try {
      start()->wait(timeout);
    } catch (const std::exception& e) {
      throw Error("distributed " + what + " over " + endpoint + " failed (timeout " +
                  std::to_string(timeout.count()) + " ms): " + first_line(e));
    }
  }
};
#else
struct Distributed::Impl {};
#endif

Distributed::Distributed(int rank, int world, int local_rank, std::shared_ptr<Impl> impl)
    : rank_(rank), world_(world), local_rank_(local_rank), impl_(std::move(impl)) {}

Distributed Distributed::single() { return Distributed(0, 1, 0, nullptr); }

Distributed Distributed::from_env(std::chrono::milliseconds timeout) {
  const int world = env_int("WORLD_SIZE", 1, 1 << 16, false, 1);
  if (world == 1) return single();
  const int rank = env_int("RANK", 0, world - 1, true, 0);
  const int local_rank = env_int("LOCAL_RANK", 0, world - 1, false, 0);
  const char* addr = env("MASTER_ADDR");
  if (!addr) throw Error("MASTER_ADDR: not set (expected the host of rank 0, e.g. 127.0.0.1)");
  const int port = env_int("MASTER_PORT", 1, 65535, true, 0);
#if SS_HAVE_GLOO
  auto impl = std::make_shared<Impl>();
  impl->timeout = timeout;
  impl->endpoint = "MASTER_ADDR:MASTER_PORT (" + std::string(addr) + ":" + std::to_string(port) + ")";
  try {
    c10d::TCPStoreOptions so;
    so.port = static_cast<uint16_t>(port);
    so.isServer = rank == 0;
    so.numWorkers = static_cast<size_t>(world);
    so.waitWorkers = true;
    so.timeout = timeout;
    impl->store = c10::make_intrusive<c10d::TCPStore>(addr, so);

    auto options = c10d::ProcessGroupGloo::Options::create(timeout);
    const std::string a = addr;
    if (const char* ifname = env("GLOO_SOCKET_IFNAME"))
      options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
    else if (a == "localhost" || a.rfind("127.", 0) == 0)
      options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
    else
      options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    impl->group = c10::make_intrusive<c10d::ProcessGroupGloo>(impl->store, rank, world, options);
  } catch (const std::exception& e) {
    throw Error(impl->endpoint + ": rendezvous of rank " + std::to_string(rank) + " of " + std::to_string(world) +
                " failed (timeout " + std::to_string(timeout.count()) + " ms): " + first_line(e));
  }
  return Distributed(rank, world, local_rank, std::move(impl));
#else
  (void)local_rank;
  throw Error("WORLD_SIZE=" + std::to_string(world) + ": this build has no Gloo (install libgloo-dev, re-run cmake)");
#endif
}

namespace {

// One flat buffer holding every tensor, so a collective costs one call whatever the model size.
at::Tensor flatten(const std::vector<at::Tensor>& tensors, const char* what) {
  std::vector<at::Tensor> flat;
  flat.reserve(tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    const at::Tensor& t = tensors[i];
    if (!t.defined()) throw Error(std::string(what) + ": tensor " + std::to_string(i) + " is undefined");
    if (!t.device().is_cpu() || !at::isFloatingType(t.scalar_type()) ||
        t.scalar_type() != tensors[0].scalar_type())
      throw Error(std::string(what) + ": tensor " + std::to_string(i) + " is " + std::string(t.dtype().name()) +
                  " on " + t.device().str() + "; expected CPU tensors of one floating dtype");
    flat.push_back(t.detach().reshape({-1}));
  }
  return at::cat(flat);
}

void unflatten(const at::Tensor& bucket, std::vector<at::Tensor>& tensors) {
  int64_t offset = 0;
  for (at::Tensor& t : tensors) {
    const int64_t n = t.numel();
    t.detach().copy_(bucket.narrow(0, offset, n).view(t.sizes()));  // detach: leaves may require grad
    offset += n;
  }
}

}  // namespace

void Distributed::all_reduce_mean(std::vector<at::Tensor>& tensors) {
  if (world_ == 1 || tensors.empty()) return;
#if SS_HAVE_GLOO
  std::vector<at::Tensor> bucket{flatten(tensors, "all_reduce_mean")};
  c10d::AllreduceOptions opts;
  opts.reduceOp = c10d::ReduceOp::SUM;
  impl_->run("all_reduce_mean", [&] { return impl_->group->allreduce(bucket, opts); });
  bucket[0].div_(world_);
  unflatten(bucket[0], tensors);
#endif
}

void Distributed::broadcast(std::vector<at::Tensor>& tensors, int root) {
  if (root < 0 || root >= world_)
    throw Error("broadcast: root " + std::to_string(root) + " outside [0, " + std::to_string(world_) + ")");
  if (world_ == 1 || tensors.empty()) return;
#if SS_HAVE_GLOO
  std::vector<at::Tensor> bucket{flatten(tensors, "broadcast")};
  c10d::BroadcastOptions opts;
  opts.rootRank = root;
  impl_->run("broadcast", [&] { return impl_->group->broadcast(bucket, opts); });
  unflatten(bucket[0], tensors);
#endif
}

void Distributed::barrier() {
  if (world_ == 1) return;
#if SS_HAVE_GLOO
  impl_->run("barrier", [&] { return impl_->group->barrier(); });
#endif
}

double Distributed::all_reduce_sum(double value) {
  if (world_ == 1) return value;
#if SS_HAVE_GLOO
  std::vector<at::Tensor> t{at::full({1}, value, at::kDouble)};
  c10d::AllreduceOptions opts;
  opts.reduceOp = c10d::ReduceOp::SUM;
  impl_->run("all_reduce_sum", [&] { return impl_->group->allreduce(t, opts); });
  return t[0].item<double>();
#else
  return value;
#endif
}

}  // namespace ss::train
