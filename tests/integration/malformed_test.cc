// Each kind of bad frame gets one Error frame and a closed session, while
// another session keeps appending. The server must survive all of them.

#include "frame.h"
#include "integration/daemon_fixture.h"
#include "testutil/store_fixture.h"

namespace evlog::testutil {
namespace {

using MalformedFrames = DaemonTest;

struct BadFrame {
  std::string name;
  std::string bytes;
  server::ProtocolCode expected;
};

std::string Header(uint32_t length) {
  std::string out;
  server::AppendFrameHeader(length, out);
  return out;
}

std::vector<BadFrame> BadFrames() {
  const std::string stats = server::EncodeRequest(server::Request{5, server::StatsRequest{}});
  // A valid frame's message cut in half, with the length prefix saying so.
  const std::string half =
      stats.substr(server::kFrameHeaderBytes, (stats.size() - server::kFrameHeaderBytes) / 2);
  const std::string garbage(64, '\x5a');
  return {
      {"truncated message", server::MakeFrame(half), server::ProtocolCode::kMalformedFrame},
      {"oversized length", Header(0xfffffff0u) + "abc", server::ProtocolCode::kFrameTooLarge},
      {"length one above the limit", Header((4u << 20) + 1), server::ProtocolCode::kFrameTooLarge},
      {"zero length", Header(0), server::ProtocolCode::kMalformedFrame},
      {"garbage flatbuffer", server::MakeFrame(garbage), server::ProtocolCode::kMalformedFrame},
      {"response type as a request", server::EncodeStreamVersion(9, Version(1)),
       server::ProtocolCode::kUnknownRequest},
      {"second hello", server::EncodeRequest(server::Request{6, server::HelloRequest{}}),
       server::ProtocolCode::kUnknownRequest},
  };
}

TEST_F(MalformedFrames, EachGetsAnErrorAndACloseWhileAnotherSessionContinues) {
  Result<std::unique_ptr<Client>> healthy = Connect();
  ASSERT_TRUE(healthy.ok());
  uint64_t version = 0;
  for (const BadFrame& bad : BadFrames()) {
    SCOPED_TRACE(bad.name);
    auto raw = RawSession::Connect(port());
    ASSERT_NE(raw, nullptr);
    ASSERT_TRUE(raw->Hello());
    ASSERT_TRUE(raw->Send(bad.bytes));
    std::optional<server::Response> r = raw->ReadResponse();
    ASSERT_TRUE(r.has_value());
    const auto* e = std::get_if<server::ErrorResponse>(&r->body);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->wire_code, static_cast<uint8_t>(bad.expected)) << e->status.ToString();
    EXPECT_TRUE(raw->ClosedByServer());

    AppendRequest one;
    one.streams.push_back(
        StreamAppend{"healthy-1", ExpectedVersion::Exact(Version(version)), {Ev("T")}});
    one.durability = Durability::kBuffered;
    Result<AppendResult> ok = (*healthy)->Append(one);
    ASSERT_TRUE(ok.ok()) << ok.status().ToString();
    ++version;
  }
}

TEST_F(MalformedFrames, BadFrameBeforeHelloAlsoGetsAnErrorAndAClose) {
  auto raw = RawSession::Connect(port());
  ASSERT_NE(raw, nullptr);
  ASSERT_TRUE(raw->Send(server::MakeFrame(std::string(32, '\x01'))));
  std::optional<server::Response> r = raw->ReadResponse();
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(std::holds_alternative<server::ErrorResponse>(r->body));
  EXPECT_TRUE(raw->ClosedByServer());
  EXPECT_TRUE(Connect().ok());
}

TEST_F(MalformedFrames, ErrorAnswersTheRequestIdWhenItCanBeRead) {
  auto raw = RawSession::Connect(port());
  ASSERT_NE(raw, nullptr);
  ASSERT_TRUE(raw->Hello());
  ASSERT_TRUE(raw->Send(server::EncodeAppendOk(4242, AppendResult{})));
  std::optional<server::Response> r = raw->ReadResponse();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->request_id, 4242u);
}

}  // namespace
}  // namespace evlog::testutil
