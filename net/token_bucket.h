// TokenBucket: a rate limit over an injected monotonic time in nanoseconds. It holds up to
// `burst` tokens and refills `per_second` of them each second; Take() spends one if there is one.
// Refill is computed lazily from the time passed in, so the bucket needs no timer. Pure and
// thread-compatible (one owner; the HTTP/2 front keeps one per connection and kind of frame).
#ifndef AUTHD_NET_TOKEN_BUCKET_H_
#define AUTHD_NET_TOKEN_BUCKET_H_

#include <algorithm>
#include <cstdint>

namespace authd::net {

// How many events a bucket allows: `burst` at once, `per_second` sustained.
struct RateLimit {
  double burst = 0;
  double per_second = 0;
};

class TokenBucket {
 public:
  TokenBucket() = default;
  // Starts full at `now_ns`.
  TokenBucket(RateLimit limit, int64_t now_ns)
      : limit_(limit), tokens_(limit.burst), last_ns_(now_ns) {}

  // Spends `n` tokens if the bucket holds them; otherwise spends nothing and returns false.
  bool Take(int64_t now_ns, double n = 1) {
    Refill(now_ns);
    if (tokens_ < n) return false;
    tokens_ -= n;
    return true;
  }

  // Adds `n` tokens (up to the burst), e.g. credit earned by useful work.
  void Credit(double n) { tokens_ = std::min(limit_.burst, tokens_ + n); }

  // Empties the bucket (a penalty): the next token comes after 1/per_second.
  void Drain(int64_t now_ns) {
    Refill(now_ns);
    tokens_ = 0;
  }

  double tokens(int64_t now_ns) {
    Refill(now_ns);
    return tokens_;
  }

 private:
  void Refill(int64_t now_ns) {
    if (now_ns <= last_ns_) return;
    tokens_ = std::min(limit_.burst,
                       tokens_ + limit_.per_second * static_cast<double>(now_ns - last_ns_) * 1e-9);
    last_ns_ = now_ns;
  }

  RateLimit limit_;
  double tokens_ = 0;
  int64_t last_ns_ = 0;
};

}  // namespace authd::net

#endif  // AUTHD_NET_TOKEN_BUCKET_H_
