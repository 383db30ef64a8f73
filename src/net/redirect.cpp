#include "net/detail/redirect.hpp"

#include <algorithm>
#include <cctype>

#include <arpa/inet.h>
#include <netinet/in.h>

namespace wl::net::detail {
namespace {

constexpr std::size_t kMaxDnsName = 253;
constexpr std::size_t kMaxDnsLabel = 63;

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

std::string lower(std::string_view text) {
  std::string result(text);
  std::transform(result.begin(), result.end(), result.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return result;
}

// Dot-separated labels of letters, digits and inner hyphens (RFC 1123 section 2.1). An
// IPv4 address in dotted decimal is such a name too; the kernel's parser checks it
// below only when every label is numeric, so "1.2.3.999" is refused.
bool is_dns_name_or_ipv4(std::string_view host) {
  if (host.empty() || host.size() > kMaxDnsName) {
    return false;
  }
  bool is_numeric = true;
  std::size_t label_start = 0;
  for (std::size_t index = 0; index <= host.size(); ++index) {
    if (index < host.size() && host[index] != '.') {
      const char c = host[index];
      if (!is_letter(c) && !is_digit(c) && c != '-') {
        return false;
      }
      is_numeric = is_numeric && is_digit(c);
      continue;
    }
    const std::string_view label = host.substr(label_start, index - label_start);
    if (label.empty() || label.size() > kMaxDnsLabel || label.front() == '-' ||
        label.back() == '-') {
      return false;
    }
    label_start = index + 1;
  }
  if (is_numeric) {
    in_addr address{};
    return ::inet_pton(AF_INET, std::string(host).c_str(), &address) == 1;
  }
  return true;
}

bool is_ipv6(std::string_view host) {
  if (host.empty() || host.size() > INET6_ADDRSTRLEN) {
    return false;
  }
  in6_addr address{};
  return ::inet_pton(AF_INET6, std::string(host).c_str(), &address) == 1;
}

bool is_port(std::string_view text) {
  if (text.empty() || text.size() > 5 || !std::all_of(text.begin(), text.end(), is_digit)) {
    return false;
  }
  const unsigned long value = std::stoul(std::string(text));
  return value >= 1 && value <= 65535;
}

// The host of a Host header value (RFC 9110 section 7.2: uri-host [ ":" port ]) without
// brackets, or nullopt if it is not a DNS name or an IP address.
std::optional<std::string> host_of(std::string_view value) {
  std::string_view host = value;
  std::string_view port;
  bool is_bracketed = false;
  if (value.starts_with('[')) {
    const std::size_t close = value.find(']');
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    host = value.substr(1, close - 1);
    const std::string_view rest = value.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return std::nullopt;
      }
      port = rest.substr(1);
      if (!is_port(port)) {
        return std::nullopt;
      }
    }
    is_bracketed = true;
  } else if (const std::size_t colon = value.find(':'); colon != std::string_view::npos) {
    host = value.substr(0, colon);
    port = value.substr(colon + 1);
    if (!is_port(port)) {
      return std::nullopt;
    }
  }
  if (is_bracketed ? !is_ipv6(host) : !is_dns_name_or_ipv4(host)) {
    return std::nullopt;
  }
  return lower(host);
}

// RFC 3986 pchar (unreserved, sub-delims, ":", "@", percent-encoded) plus "/" and "?".
bool is_origin_form_character(char c) {
  static constexpr std::string_view kAllowed = "-._~!$&'()*+,;=:@/?%";
  return is_letter(c) || is_digit(c) || kAllowed.find(c) != std::string_view::npos;
}

std::string_view origin_form_or_root(std::string_view target) {
  if (!target.starts_with('/') ||
      !std::all_of(target.begin(), target.end(), is_origin_form_character)) {
    return "/";
  }
  return target;
}

// A host as the authority of a URL: an IPv6 address in brackets.
std::string authority_host(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

}  // namespace

std::optional<std::string> https_location(std::string_view host_header, std::string_view target,
                                          std::span<const std::string> configured_hosts,
                                          std::uint16_t https_port) {
  std::optional<std::string> requested;
  if (!host_header.empty()) {
    requested = host_of(host_header);
    if (!requested) {
      return std::nullopt;
    }
  }
  std::string host;
  if (!configured_hosts.empty()) {
    const auto match = std::find_if(configured_hosts.begin(), configured_hosts.end(),
                                    [&](const std::string& configured) {
                                      return requested && lower(configured) == *requested;
                                    });
    host = lower(match != configured_hosts.end() ? *match : configured_hosts.front());
  } else if (requested) {
    host = *requested;
  } else {
    return std::nullopt;
  }
  return "https://" + authority_host(host) + ":" + std::to_string(https_port) +
         std::string(origin_form_or_root(target));
}

}  // namespace wl::net::detail
