using System.Net;
using System.Net.Sockets;

namespace Retention.Testing;

public static class FreePorts
{
    /// <summary>A port nothing listens on right now (the OS picked it for a listener we closed at once).</summary>
    public static int Take()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)listener.LocalEndPoint!).Port;
    }
}
