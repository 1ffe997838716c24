using System.Net.Sockets;
using Chronik.Broker.Network;
using Chronik.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Chronik.Broker.Tests.Network;

/// <summary>The Kafka connection layer over real loopback sockets, with a scripted processor in place of the broker.</summary>
public class KafkaListenerTests
{
    [Fact]
    public async Task A_request_is_answered_with_the_processors_response()
    {
        var processor = new ScriptedProcessor();
        await using var host = await ListenerHost.StartAsync(processor);
        using var client = await RawKafkaClient.ConnectAsync(host.Port);

        await client.SendAsync(TestFrames.Request(7, payload: [1, 2, 3]));

        Assert.Equal(new byte[] { 0, 0, 0, 7, 1, 2, 3 }, await client.ReceiveAsync());
        Assert.NotNull(processor.LastConnection);
        Assert.Contains("127.0.0.1", processor.LastConnection!.ConnectionId, StringComparison.Ordinal);
        Assert.Equal("PLAINTEXT", processor.LastConnection.ListenerName);
    }

    [Fact]
    public async Task Pipelined_requests_are_processed_and_answered_in_request_order()
    {
        var processor = new ScriptedProcessor();
        await using var host = await ListenerHost.StartAsync(processor);
        using var client = await RawKafkaClient.ConnectAsync(host.Port);

        await client.SendAsync(TestFrames.Concat(Enumerable.Range(1, 200).Select(i => TestFrames.Request(i))));

        for (int i = 1; i <= 200; i++)
        {
            Assert.Equal(i, TestFrames.CorrelationIdOf((await client.ReceiveAsync())!));
        }

        Assert.Equal(Enumerable.Range(1, 200), processor.Started);
    }

    [Fact]
    public async Task Responses_completing_out_of_order_are_still_written_in_request_order()
    {
        var processor = new ScriptedProcessor();
        await using var host = await ListenerHost.StartAsync(processor);
        using var client = await RawKafkaClient.ConnectAsync(host.Port);

        await client.SendAsync(TestFrames.Concat(Enumerable.Range(1, 5).Select(i => TestFrames.Request(i, TestCommand.EchoWhenReleased))));
        await Wait.UntilAsync(() => processor.Started.Count == 5, "all five requests reached the processor");

        // The synchronous parts ran in order although none has completed: that is the pipelining.
        Assert.Equal([1, 2, 3, 4, 5], processor.Started);
        foreach (int id in new[] { 5, 4, 3, 2 })
        {
            processor.Release(id);
        }

        await Wait.UntilAsync(() => processor.Completed.Count == 4, "requests 5..2 completed");
        Assert.Equal(0, client.Available); // request 1 still holds back every later response

        processor.Release(1);
        for (int i = 1; i <= 5; i++)
        {
            Assert.Equal(i, TestFrames.CorrelationIdOf((await client.ReceiveAsync())!));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Responses_stay_in_request_order_under_a_random_completion_schedule(int seed)
    {
        var random = new Random(seed);
        var processor = new ScriptedProcessor();
        await using var host = await ListenerHost.StartAsync(processor, new KafkaListenerOptions { MaxInFlightRequestsPerConnection = 16 });
        using var client = await RawKafkaClient.ConnectAsync(host.Port);
        var commands = Enumerable.Range(1, 60).Select(_ => random.Next(3) switch { 0 => TestCommand.Echo, 1 => TestCommand.NoResponse, _ => TestCommand.EchoWhenReleased }).ToArray();

        await client.SendAsync(TestFrames.Concat(commands.Select((c, i) => TestFrames.Request(i + 1, c))));
        var gated = Enumerable.Range(1, commands.Length).Where(id => commands[id - 1] == TestCommand.EchoWhenReleased).OrderBy(_ => random.Next()).ToList();
        foreach (int id in gated)
        {
            processor.Release(id);
        }

        var expected = Enumerable.Range(1, commands.Length).Where(id => commands[id - 1] != TestCommand.NoResponse);
        foreach (int id in expected)
        {
            Assert.Equal(id, TestFrames.CorrelationIdOf((await client.ReceiveAsync())!));
        }

        Assert.Equal(Enumerable.Range(1, commands.Length), processor.Started);
    }

    [Fact]
    public async Task A_request_without_response_is_skipped_and_the_next_one_answered()
    {
        var processor = new ScriptedProcessor();
        await using var host = await ListenerHost.StartAsync(processor);
        using var client = await RawKafkaClient.ConnectAsync(host.Port);

        await client.SendAsync(TestFrames.Concat([TestFrames.Request(1, TestCommand.NoResponse), TestFrames.Request(2)]));

        Assert.Equal(2, TestFrames.CorrelationIdOf((await client.ReceiveAsync())!));
    }

    [Fact]
    public async Task A_frame_larger_than_the_transport_buffer_arrives_whole()
    {
        var processor = new ScriptedProcessor();
        await using var host = await ListenerHost.StartAsync(processor, new KafkaListenerOptions { MaxRequestSize = 8 << 20 });
        using var client = await RawKafkaClient.ConnectAsync(host.Port);
        var payload = new byte[3 << 20];
        new Random(5).NextBytes(payload);

        await client.SendAsync(TestFrames.Request(9, payload: payload));

        byte[] response = (await client.ReceiveAsync())!;
        Assert.Equal(9, TestFrames.CorrelationIdOf(response));
        Assert.True(payload.AsSpan().SequenceEqual(response.AsSpan(4)));
    }

    [Fact]
    public async Task A_large_frame_sent_in_pieces_and_the_frame_sharing_its_last_write_are_both_answered()
    {
        var processor = new ScriptedProcessor();
        await using var host = await ListenerHost.StartAsync(processor, new KafkaListenerOptions { MaxRequestSize = 8 << 20 });
        using var client = await RawKafkaClient.ConnectAsync(host.Port);
        var payload = new byte[(1 << 20) + 12_345];
        new Random(7).NextBytes(payload);
        byte[] stream = TestFrames.Concat([TestFrames.Request(3, payload: payload), TestFrames.Request(4)]);

        // Uneven pieces: the read loop waits for the rest of the first frame across several reads.
        int sent = 0;
        var random = new Random(11);
        while (sent < stream.Length)
        {
            int piece = Math.Min(stream.Length - sent, random.Next(1, 300_000));
            await client.SendAsync(stream[sent..(sent + piece)]);
            sent += piece;
        }

        byte[] first = (await client.ReceiveAsync())!;
        Assert.Equal(3, TestFrames.CorrelationIdOf(first));
        Assert.True(payload.AsSpan().SequenceEqual(first.AsSpan(4)));
        Assert.Equal(4, TestFrames.CorrelationIdOf((await client.ReceiveAsync())!));
    }

    [Fact]
    public async Task A_client_closing_inside_a_large_frame_closes_the_connection_cleanly()
    {
        var processor = new ScriptedProcessor();
        await using var host = await ListenerHost.StartAsync(processor, new KafkaListenerOptions { MaxRequestSize = 8 << 20 });
        using var client = await RawKafkaClient.ConnectAsync(host.Port);
        await client.SendAsync(TestFrames.Request(1));
        Assert.Equal(1, TestFrames.CorrelationIdOf((await client.ReceiveAsync())!));

        byte[] large = TestFrames.Request(2, payload: new byte[2 << 20]);
        await client.SendAsync(large[..(large.Length / 2)]);
        client.ShutdownSend();

        Assert.True(await client.IsClosedByServerAsync());
    }

    [Theory]
    [InlineData(-5)]
    [InlineData(1025)]
    public async Task A_size_prefix_outside_socket_request_max_bytes_closes_the_connection_after_earlier_answers(int size)
    {
        var processor = new ScriptedProcessor();
        await using var host = await ListenerHost.StartAsync(processor, new KafkaListenerOptions { MaxRequestSize = 1024 });
        using var client = await RawKafkaClient.ConnectAsync(host.Port);
        var badPrefix = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(badPrefix, size);

        await client.SendAsync(TestFrames.Concat([TestFrames.Request(1), badPrefix]));

        Assert.Equal(1, TestFrames.CorrelationIdOf((await client.ReceiveAsync())!));
        Assert.True(await client.IsClosedByServerAsync());
    }

    [Theory]
    [InlineData(TestCommand.Close)]
    [InlineData(TestCommand.Throw)]
    public async Task A_close_or_failure_answers_earlier_requests_then_closes_without_answering_later_ones(TestCommand command)
    {
        var processor = new ScriptedProcessor();
        await using var host = await ListenerHost.StartAsync(processor);
        using var client = await RawKafkaClient.ConnectAsync(host.Port);

        await client.SendAsync(TestFrames.Concat([TestFrames.Request(1), TestFrames.Request(2, command), TestFrames.Request(3)]));

        Assert.Equal(1, TestFrames.CorrelationIdOf((await client.ReceiveAsync())!));
        Assert.Null(await client.ReceiveAsync());
    }

    [Fact]
    public async Task Send_then_close_delivers_the_response_before_closing()
    {
        var processor = new ScriptedProcessor();
        await using var host = await ListenerHost.StartAsync(processor);
        using var client = await RawKafkaClient.ConnectAsync(host.Port);

        await client.SendAsync(TestFrames.Request(4, TestCommand.EchoThenClose));

        Assert.Equal(4, TestFrames.CorrelationIdOf((await client.ReceiveAsync())!));
        Assert.True(await client.IsClosedByServerAsync());
    }

    [Fact]
    public async Task Reading_stops_at_the_in_flight_bound_and_resumes_as_answers_leave()
    {
        var processor = new ScriptedProcessor();
        await using var host = await ListenerHost.StartAsync(processor, new KafkaListenerOptions { MaxInFlightRequestsPerConnection = 2 });
        using var client = await RawKafkaClient.ConnectAsync(host.Port);

        await client.SendAsync(TestFrames.Concat(Enumerable.Range(1, 5).Select(i => TestFrames.Request(i, TestCommand.EchoWhenReleased))));
        await Wait.UntilAsync(() => processor.Started.Count == 2, "two requests are in flight");
        Assert.Equal([1, 2], processor.Started); // the read loop waits for a slot before handing over request 3

        processor.Release(1);
        await Wait.UntilAsync(() => processor.Started.Count == 3, "request 3 was read after request 1 was answered");
        foreach (int id in new[] { 2, 3, 4, 5 })
        {
            processor.Release(id);
        }

        for (int i = 1; i <= 5; i++)
        {
            Assert.Equal(i, TestFrames.CorrelationIdOf((await client.ReceiveAsync())!));
        }
    }

    [Fact]
    public async Task An_idle_connection_is_closed_but_one_waiting_for_an_answer_is_not()
    {
        var time = new FakeTimeProvider();
        var processor = new ScriptedProcessor();
        var idle = TimeSpan.FromSeconds(10);
        await using var host = await ListenerHost.StartAsync(processor, new KafkaListenerOptions { IdleTimeout = idle }, time);
        using var quiet = await RawKafkaClient.ConnectAsync(host.Port);
        using var busy = await RawKafkaClient.ConnectAsync(host.Port);
        await busy.SendAsync(TestFrames.Request(1, TestCommand.EchoWhenReleased));
        await Wait.UntilAsync(() => host.Registry.OpenConnections == 2 && processor.Started.Count == 1, "both connections are open, one request in flight");

        time.Advance(idle * 2);

        Assert.True(await quiet.IsClosedByServerAsync());
        processor.Release(1);
        Assert.Equal(1, TestFrames.CorrelationIdOf((await busy.ReceiveAsync())!));
        await busy.SendAsync(TestFrames.Request(2));
        Assert.Equal(2, TestFrames.CorrelationIdOf((await busy.ReceiveAsync())!));
    }

    [Fact]
    public async Task Connections_beyond_max_connections_are_closed_at_accept_until_a_slot_frees()
    {
        var processor = new ScriptedProcessor();
        await using var host = await ListenerHost.StartAsync(processor, new KafkaListenerOptions { MaxConnections = 2 });
        using var first = await RawKafkaClient.ConnectAsync(host.Port);
        using var second = await RawKafkaClient.ConnectAsync(host.Port);
        await Wait.UntilAsync(() => host.Registry.OpenConnections == 2, "two connections are admitted");

        using (var third = await RawKafkaClient.ConnectAsync(host.Port))
        {
            Assert.True(await third.IsClosedByServerAsync());
        }

        first.Dispose();
        await Wait.UntilAsync(() => host.Registry.OpenConnections == 1, "the first connection's slot is free");
        using var fourth = await RawKafkaClient.ConnectAsync(host.Port);
        await fourth.SendAsync(TestFrames.Request(4));
        Assert.Equal(4, TestFrames.CorrelationIdOf((await fourth.ReceiveAsync())!));
    }

    [Fact]
    public async Task Graceful_shutdown_answers_the_pending_request_before_closing_and_stops_accepting()
    {
        var processor = new ScriptedProcessor();
        var host = await ListenerHost.StartAsync(processor);
        await using (host)
        {
            using var client = await RawKafkaClient.ConnectAsync(host.Port);
            await client.SendAsync(TestFrames.Request(1, TestCommand.EchoWhenReleased));
            await Wait.UntilAsync(() => processor.Started.Count == 1, "the request is in flight");

            Task stopping = host.StopAsync();
            await Wait.UntilAsync(() => !CanConnect(host.Port), "the listener stopped accepting");
            Assert.False(stopping.IsCompleted);

            processor.Release(1);
            Assert.Equal(1, TestFrames.CorrelationIdOf((await client.ReceiveAsync())!));
            Assert.True(await client.IsClosedByServerAsync());
            await stopping.WaitAsync(TimeSpan.FromSeconds(20));
        }
    }

    private static bool CanConnect(int port)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Connect(System.Net.IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
