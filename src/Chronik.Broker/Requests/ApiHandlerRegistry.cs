using Chronik.Protocol.Messages;

namespace Chronik.Broker.Requests;

/// <summary>
/// The handlers by api key. Built once at start from the registered <see cref="IApiHandler"/>s; each
/// declared version range must lie within what the message specs define.
/// </summary>
public sealed class ApiHandlerRegistry
{
    private readonly IApiHandler?[] _byKey;

    public ApiHandlerRegistry(IEnumerable<IApiHandler> handlers)
    {
        var list = new List<IApiHandler>();
        int maxKey = 0;
        foreach (IApiHandler handler in handlers)
        {
            ApiMessageType type = ApiMessageTypes.Get(handler.ApiKey);
            if (handler.MinVersion < type.LowestSupportedVersion || handler.MaxVersion > type.HighestSupportedVersion || handler.MinVersion > handler.MaxVersion)
            {
                throw new InvalidOperationException(
                    $"{handler.GetType().Name} declares {handler.ApiKey} v{handler.MinVersion}-{handler.MaxVersion}, outside the specs' v{type.LowestSupportedVersion}-{type.HighestSupportedVersion}");
            }

            if (list.Exists(h => h.ApiKey == handler.ApiKey))
            {
                throw new InvalidOperationException($"two handlers for {handler.ApiKey}");
            }

            list.Add(handler);
            maxKey = Math.Max(maxKey, (int)handler.ApiKey);
        }

        list.Sort((a, b) => a.ApiKey.CompareTo(b.ApiKey));
        Handlers = list;
        _byKey = new IApiHandler?[maxKey + 1];
        foreach (IApiHandler handler in list)
        {
            _byKey[(int)handler.ApiKey] = handler;
        }
    }

    /// <summary>Every handler, ordered by api key.</summary>
    public IReadOnlyList<IApiHandler> Handlers { get; }

    public IApiHandler? Find(short apiKey) => apiKey >= 0 && apiKey < _byKey.Length ? _byKey[apiKey] : null;
}
