# Shipped style networks (NAME.safetensors + NAME.json); installed as livestyle._models.
