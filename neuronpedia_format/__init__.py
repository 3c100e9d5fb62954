"""Neuronpedia's data format, written once: source ids (`sources`), the dataset export's layout
(`layout`), its reader and writer (`export`), and the bot user that owns exported rows
(`users`). No Django and no torch: the web apps, the importer and the workers all import it."""
