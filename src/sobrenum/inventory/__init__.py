"""Reading the inventory as collectivités keep it: readers, mapping, validation, rejects."""
