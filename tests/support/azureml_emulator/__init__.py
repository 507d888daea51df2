"""An emulated Azure Machine Learning service for the azure backend's tests (a test fixture, not a product
feature): real azure-ai-ml and azure-identity code talks real HTTPS through a loopback TLS proxy to it.

    emulator = AzureMLEmulator(folder).start()   # Azurite, the proxy, the routes
    os.environ.update(emulator.environment())    # what a connected CI job has
"""

from .service import AzureMLEmulator

__all__ = ["AzureMLEmulator"]
