"""neuromodels: equation-defined spiking-neuron models on Brian2."""

__version__ = "0.1.0"
