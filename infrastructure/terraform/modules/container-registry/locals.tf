locals {
  premium = var.sku == "Premium" ? true : false
}
